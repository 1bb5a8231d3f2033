//! The AI agent's door (flow F5): an MCP server, built on the official
//! Rust SDK (`rmcp`), whose tools ask a person by nickname to approve a
//! payment and follow the request. It speaks to Anshin exactly as an agent
//! API client does, through `/v1` with the agent's key, so the rules, rate
//! limits, audit and idempotency are the machine API's own.
//!
//! Two transports: stdio (`anshin mcp`, for an assistant that starts it as
//! a subprocess; the key from `ANSHIN_API_KEY`), and streamable HTTP at
//! `/mcp` in the server (the key as `Authorization: Bearer`, per request).

mod http;
mod tools;

pub use http::service;
pub use tools::AnshinTools;

use crate::config::McpArgs;

/// `anshin mcp`: serves the tools over stdin/stdout until the client leaves.
pub async fn stdio(args: McpArgs) -> Result<(), String> {
    use rmcp::ServiceExt;
    if args.api_key.trim().is_empty() {
        return Err("set ANSHIN_API_KEY to an agent's API key".into());
    }
    let tools = AnshinTools::new(args.url, Some(args.api_key));
    let running = tools
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("MCP over stdio: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("MCP over stdio: {e}"))?;
    Ok(())
}
