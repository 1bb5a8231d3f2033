//! Generates the translation module from `locales/*.json` for the browser build.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    #[cfg(feature = "csr")]
    {
        use leptos_i18n_build::{Config, TranslationsInfos};
        let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR unset")?);
        // The first locale is the fallback for a browser that speaks neither.
        let cfg = Config::new("en")?.add_locale("ja")?;
        let infos = TranslationsInfos::parse(cfg)?;
        infos.emit_diagnostics();
        infos.rerun_if_locales_changed();
        infos.generate_i18n_module(out.join("i18n"))?;
    }
    Ok(())
}
