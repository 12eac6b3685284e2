//! Authentication hooks: static API keys and bearer tokens, switched on from config.
//!
//! With neither configured every request is let through (loopback development). The agent
//! card stays public; every A2A operation needs one valid credential.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::card::{AgentCard, ApiKeySecurityScheme, HttpAuthSecurityScheme, SecurityRequirement, SecurityScheme};

/// Which credentials the server accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Accepted API keys (sent in `api_key_header`).
    pub api_keys: Vec<String>,
    /// The header carrying the API key (default `X-API-Key`).
    pub api_key_header: Option<String>,
    /// Accepted bearer tokens (`Authorization: Bearer <token>`).
    pub bearer_tokens: Vec<String>,
}

/// Scheme names used in the card.
const API_KEY_SCHEME: &str = "apiKey";
const BEARER_SCHEME: &str = "bearer";

impl AuthConfig {
    /// True when at least one credential is configured.
    pub fn enabled(&self) -> bool {
        !self.api_keys.is_empty() || !self.bearer_tokens.is_empty()
    }

    fn header_name(&self) -> &str {
        self.api_key_header.as_deref().unwrap_or("X-API-Key")
    }

    /// Does the request carry a valid credential?
    pub fn check(&self, headers: &HeaderMap) -> bool {
        if !self.enabled() {
            return true;
        }
        if let Some(key) = headers.get(self.header_name()).and_then(|v| v.to_str().ok())
            && self
                .api_keys
                .iter()
                .any(|k| constant_time_eq(k.as_bytes(), key.as_bytes()))
        {
            return true;
        }
        if let Some(auth) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            && let Some((scheme, token)) = auth.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
        {
            let token = token.trim();
            return self
                .bearer_tokens
                .iter()
                .any(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
        }
        false
    }

    /// Declares the configured schemes in a card (`securitySchemes`, `securityRequirements`).
    pub fn describe(&self, card: &mut AgentCard) {
        let mut schemes = BTreeMap::new();
        if !self.api_keys.is_empty() {
            schemes.insert(
                API_KEY_SCHEME.to_string(),
                SecurityScheme::ApiKey(ApiKeySecurityScheme {
                    description: Some("Static API key".into()),
                    location: "header".into(),
                    name: self.header_name().to_string(),
                }),
            );
        }
        if !self.bearer_tokens.is_empty() {
            schemes.insert(
                BEARER_SCHEME.to_string(),
                SecurityScheme::HttpAuth(HttpAuthSecurityScheme {
                    description: Some("Static bearer token".into()),
                    scheme: "Bearer".into(),
                    bearer_format: None,
                }),
            );
        }
        for name in schemes.keys() {
            card.security_requirements
                .push(SecurityRequirement::scheme(name.clone()));
        }
        card.security_schemes.extend(schemes);
    }
}

/// Compares secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_tokens() {
        let auth = AuthConfig {
            api_keys: vec!["k1".into()],
            bearer_tokens: vec!["t1".into()],
            ..Default::default()
        };
        let mut h = HeaderMap::new();
        assert!(!auth.check(&h));
        h.insert("x-api-key", "k1".parse().unwrap());
        assert!(auth.check(&h));
        h.clear();
        h.insert("authorization", "Bearer t1".parse().unwrap());
        assert!(auth.check(&h));
        h.insert("authorization", "Bearer t2".parse().unwrap());
        assert!(!auth.check(&h));
        assert!(AuthConfig::default().check(&HeaderMap::new()));
        let mut card = AgentCard::new("a", "b", "1");
        auth.describe(&mut card);
        assert_eq!(card.security_schemes.len(), 2);
        assert_eq!(card.security_requirements.len(), 2);
    }
}
