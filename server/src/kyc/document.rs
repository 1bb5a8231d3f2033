//! An uploaded document image: the `data:` URL a browser sent, decoded, with
//! its type and size read from the bytes themselves. What the browser said
//! the type was is ignored, so a script renamed `.jpg` is refused, and the
//! type stored is the one the bytes prove, which is what the image is
//! later served as.

use base64::Engine as _;
use shared::{
    kyc::{MAX_DOCUMENT_BYTES, MIN_DOCUMENT_SIDE},
    AppError, Reason,
};

/// A checked image, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The longest `data:` URL a document of [`MAX_DOCUMENT_BYTES`] can take
/// (base64 is 4 characters per 3 bytes), plus room for its header.
pub const MAX_DATA_URL_CHARS: usize = MAX_DOCUMENT_BYTES / 3 * 4 + 4 + 100;

impl Image {
    /// Decodes and checks a `data:<type>;base64,<data>` URL sent as field `field`.
    pub fn from_data_url(field: &str, url: &str) -> Result<Image, AppError> {
        let bad = |reason| AppError::invalid(field, reason);
        if url.trim().is_empty() {
            return Err(bad(Reason::Required));
        }
        if url.len() > MAX_DATA_URL_CHARS {
            return Err(bad(Reason::TooBig));
        }
        let data = url
            .strip_prefix("data:")
            .and_then(|rest| rest.split_once(','))
            .filter(|(header, _)| header.ends_with(";base64"))
            .map(|(_, data)| data)
            .ok_or(bad(Reason::Malformed))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| bad(Reason::Malformed))?;
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(bad(Reason::TooBig));
        }
        let media_type = match imagesize::image_type(&bytes) {
            Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
            Ok(imagesize::ImageType::Png) => "image/png",
            Ok(imagesize::ImageType::Webp) => "image/webp",
            _ => return Err(bad(Reason::NotAnImage)),
        };
        let size = imagesize::blob_size(&bytes).map_err(|_| bad(Reason::NotAnImage))?;
        let (width, height) = (
            u32::try_from(size.width).unwrap_or(u32::MAX),
            u32::try_from(size.height).unwrap_or(u32::MAX),
        );
        if width < MIN_DOCUMENT_SIDE || height < MIN_DOCUMENT_SIDE {
            return Err(bad(Reason::TooSmall));
        }
        Ok(Image {
            media_type,
            bytes,
            width,
            height,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of a PNG of `w`×`h`: signature and IHDR, which is all
    /// the type and size are read from.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    fn url(kind: &str, bytes: &[u8]) -> String {
        format!(
            "data:{kind};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    fn reason(e: AppError) -> Reason {
        match e {
            AppError::Invalid { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_type_comes_from_the_bytes_not_the_label() {
        let image = Image::from_data_url("document", &url("image/jpeg", &png(800, 500))).unwrap();
        assert_eq!(
            (image.media_type, image.width, image.height),
            ("image/png", 800, 500)
        );
    }

    #[test]
    fn what_is_not_a_readable_image_is_refused_with_its_reason() {
        let cases = [
            (String::new(), Reason::Required),
            ("http://example.com/a.png".to_string(), Reason::Malformed),
            ("data:image/png,rawtext".to_string(), Reason::Malformed),
            ("data:image/png;base64,@@@".to_string(), Reason::Malformed),
            (
                url("image/png", b"<script>alert(1)</script>"),
                Reason::NotAnImage,
            ),
            (
                url("image/gif", b"GIF89a\x10\x00\x10\x00"),
                Reason::NotAnImage,
            ),
            (url("image/png", &png(120, 900)), Reason::TooSmall),
            ("x".repeat(MAX_DATA_URL_CHARS + 1), Reason::TooBig),
        ];
        for (sent, want) in cases {
            let got = reason(Image::from_data_url("document", &sent).unwrap_err());
            assert_eq!(got, want, "{}", &sent[..sent.len().min(40)]);
        }
        let mut big = png(800, 500);
        big.resize(MAX_DOCUMENT_BYTES + 1, 0);
        assert_eq!(
            reason(Image::from_data_url("document", &url("image/png", &big)).unwrap_err()),
            Reason::TooBig
        );
    }
}
