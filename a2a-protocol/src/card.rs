//! The agent card: who an agent is, where it listens, what it can do, how to authenticate.
//!
//! Served at [`AGENT_CARD_PATH`]. Signatures are JWS (RFC 7515) over the RFC 8785 canonical
//! form of the card without its `signatures` field: [`AgentCard::signing_payload`] gives those
//! bytes; the key and algorithm stay with the agent.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::types::Metadata;

/// Where the public card is served.
pub const AGENT_CARD_PATH: &str = "/.well-known/agent-card.json";

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: &str = "1.0";

/// The JSON-RPC binding name in `supportedInterfaces`.
pub const BINDING_JSONRPC: &str = "JSONRPC";
/// The HTTP+JSON (REST) binding name.
pub const BINDING_HTTP_JSON: &str = "HTTP+JSON";
/// The gRPC binding name (not served by this crate).
pub const BINDING_GRPC: &str = "GRPC";

/// Self-description of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCard {
    /// Human-readable name.
    pub name: String,
    /// What the agent does.
    #[serde(default)]
    pub description: String,
    /// Endpoints, preferred first.
    #[serde(default)]
    #[serde(alias = "supported_interfaces")]
    pub supported_interfaces: Vec<AgentInterface>,
    /// Who runs the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<AgentProvider>,
    /// The agent's own version.
    #[serde(default)]
    pub version: String,
    /// Documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "documentation_url")]
    pub documentation_url: Option<String>,
    /// Optional features.
    #[serde(default)]
    pub capabilities: AgentCapabilities,
    /// Named security schemes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[serde(alias = "security_schemes")]
    pub security_schemes: BTreeMap<String, SecurityScheme>,
    /// Which schemes a client must satisfy (any one entry).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(alias = "security_requirements")]
    pub security_requirements: Vec<SecurityRequirement>,
    /// Media types accepted by default.
    #[serde(default)]
    #[serde(alias = "default_input_modes")]
    pub default_input_modes: Vec<String>,
    /// Media types produced by default.
    #[serde(default)]
    #[serde(alias = "default_output_modes")]
    pub default_output_modes: Vec<String>,
    /// What the agent can do.
    #[serde(default)]
    pub skills: Vec<AgentSkill>,
    /// JWS signatures of the card.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<AgentCardSignature>,
    /// An icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "icon_url")]
    pub icon_url: Option<String>,
}

/// One endpoint of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentInterface {
    /// Absolute URL.
    pub url: String,
    /// `JSONRPC`, `HTTP+JSON` or `GRPC`.
    #[serde(alias = "protocol_binding")]
    pub protocol_binding: String,
    /// Tenant to send with every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// A2A version spoken there (`1.0`).
    #[serde(default)]
    #[serde(alias = "protocol_version")]
    pub protocol_version: String,
}

impl AgentInterface {
    /// An interface speaking [`PROTOCOL_VERSION`].
    pub fn new(url: impl Into<String>, binding: &str) -> Self {
        Self {
            url: url.into(),
            protocol_binding: binding.to_string(),
            tenant: None,
            protocol_version: PROTOCOL_VERSION.to_string(),
        }
    }
}

/// The organisation running an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentProvider {
    /// Its website.
    pub url: String,
    /// Its name.
    pub organization: String,
}

/// Optional features of an agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCapabilities {
    /// SendStreamingMessage and SubscribeToTask work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// Push notification configs can be set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "push_notifications")]
    pub push_notifications: Option<bool>,
    /// Protocol extensions supported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<AgentExtension>,
    /// GetExtendedAgentCard returns more to authenticated clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "extended_agent_card")]
    pub extended_agent_card: Option<bool>,
}

/// A protocol extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentExtension {
    /// Its URI.
    #[serde(default)]
    pub uri: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Clients must declare it (`A2A-Extensions` header) to talk to the agent.
    #[serde(default)]
    pub required: bool,
    /// Extension parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Metadata>,
}

/// Something an agent can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentSkill {
    /// Unique id.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Keywords.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Example prompts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// Accepted media types, when not the card's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(alias = "input_modes")]
    pub input_modes: Vec<String>,
    /// Produced media types, when not the card's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(alias = "output_modes")]
    pub output_modes: Vec<String>,
    /// Security requirements specific to this skill.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(alias = "security_requirements")]
    pub security_requirements: Vec<SecurityRequirement>,
}

/// A JWS signature of the card (flattened JSON serialization, detached payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCardSignature {
    /// Base64url protected header (holds `alg`, `kid`, optionally `jku`).
    pub protected: String,
    /// Base64url signature.
    pub signature: String,
    /// Unprotected header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Metadata>,
}

/// A list of scopes (`{"list": [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StringList {
    /// The scopes.
    #[serde(default)]
    pub list: Vec<String>,
}

/// Scheme names (keys of `securitySchemes`) with the scopes needed, all at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityRequirement {
    /// Scheme name to scopes.
    #[serde(default)]
    pub schemes: BTreeMap<String, StringList>,
}

impl SecurityRequirement {
    /// A requirement for one scheme with no scopes.
    pub fn scheme(name: impl Into<String>) -> Self {
        Self {
            schemes: BTreeMap::from([(name.into(), StringList::default())]),
        }
    }
}

/// A way to authenticate (exactly one kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub enum SecurityScheme {
    /// An API key in a header, query parameter or cookie.
    #[serde(rename = "apiKeySecurityScheme")]
    ApiKey(ApiKeySecurityScheme),
    /// HTTP authentication (`Bearer`, `Basic`).
    #[serde(rename = "httpAuthSecurityScheme")]
    HttpAuth(HttpAuthSecurityScheme),
    /// OAuth 2.0.
    #[serde(rename = "oauth2SecurityScheme")]
    OAuth2(OAuth2SecurityScheme),
    /// OpenID Connect.
    #[serde(rename = "openIdConnectSecurityScheme")]
    OpenIdConnect(OpenIdConnectSecurityScheme),
    /// Mutual TLS.
    #[serde(rename = "mtlsSecurityScheme")]
    MutualTls(MutualTlsSecurityScheme),
}

/// API key scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeySecurityScheme {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `header`, `query` or `cookie`.
    pub location: String,
    /// The header, parameter or cookie name.
    pub name: String,
}

/// HTTP authentication scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpAuthSecurityScheme {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Bearer`, `Basic`, ...
    pub scheme: String,
    /// Hint about the token format (`JWT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "bearer_format")]
    pub bearer_format: Option<String>,
}

/// OAuth 2.0 scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2SecurityScheme {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The flow (one of).
    pub flows: OAuthFlows,
    /// RFC 8414 metadata URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "oauth2_metadata_url")]
    pub oauth2_metadata_url: Option<String>,
}

/// One OAuth flow (ProtoJSON oneof; the flow objects are kept as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum OAuthFlows {
    /// Authorization code (with PKCE).
    AuthorizationCode(Value),
    /// Client credentials.
    ClientCredentials(Value),
    /// Implicit (deprecated).
    Implicit(Value),
    /// Password (deprecated).
    Password(Value),
    /// Device code.
    DeviceCode(Value),
}

/// OpenID Connect scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenIdConnectSecurityScheme {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Discovery URL.
    #[serde(alias = "open_id_connect_url")]
    pub open_id_connect_url: String,
}

/// Mutual TLS scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MutualTlsSecurityScheme {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl AgentCard {
    /// A card with the required fields; text in and out, no skills yet.
    pub fn new(name: impl Into<String>, description: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            supported_interfaces: Vec::new(),
            provider: None,
            version: version.into(),
            documentation_url: None,
            capabilities: AgentCapabilities::default(),
            security_schemes: BTreeMap::new(),
            security_requirements: Vec::new(),
            default_input_modes: vec!["text/plain".into()],
            default_output_modes: vec!["text/plain".into()],
            skills: Vec::new(),
            signatures: Vec::new(),
            icon_url: None,
        }
    }

    /// Declares both bindings this crate serves, JSON-RPC first, at `base_url`.
    pub fn with_http_interfaces(mut self, base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        self.supported_interfaces = vec![
            AgentInterface::new(base, BINDING_JSONRPC),
            AgentInterface::new(base, BINDING_HTTP_JSON),
        ];
        self
    }

    /// The first interface with the given binding.
    pub fn interface(&self, binding: &str) -> Option<&AgentInterface> {
        self.supported_interfaces
            .iter()
            .find(|i| i.protocol_binding.eq_ignore_ascii_case(binding))
    }

    /// The bytes a JWS signature covers: the RFC 8785 canonical JSON of the card without
    /// `signatures`.
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signatures.clear();
        let value = serde_json::to_value(&unsigned).unwrap_or(Value::Null);
        canonical_json(&value).into_bytes()
    }

    /// A strong ETag for the serialized card.
    pub fn etag(&self) -> String {
        let body = serde_json::to_vec(self).unwrap_or_default();
        etag_of(&body)
    }
}

/// A strong ETag (quoted, 16 hex bytes of SHA-256) for a body.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// RFC 8785 (JCS) canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
/// numbers in their shortest ECMAScript form.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (_, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => out.push_str(&format!("{f:.0}")),
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn card_wire_form() {
        let mut card = AgentCard::new("a", "b", "1").with_http_interfaces("http://h:1/");
        card.security_schemes.insert(
            "key".into(),
            SecurityScheme::ApiKey(ApiKeySecurityScheme {
                description: None,
                location: "header".into(),
                name: "X-API-Key".into(),
            }),
        );
        card.security_requirements.push(SecurityRequirement::scheme("key"));
        let v = serde_json::to_value(&card).unwrap();
        assert_eq!(
            v["supportedInterfaces"][0],
            json!({"url": "http://h:1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"})
        );
        assert_eq!(v["securitySchemes"]["key"]["apiKeySecurityScheme"]["name"], "X-API-Key");
        assert_eq!(v["securityRequirements"][0], json!({"schemes": {"key": {"list": []}}}));
        assert_eq!(serde_json::from_value::<AgentCard>(v).unwrap(), card);
    }

    #[test]
    fn jcs_sorts_keys_and_drops_signatures() {
        assert_eq!(
            canonical_json(&json!({"b": 1, "a": [true, null, 2.0, "x"]})),
            r#"{"a":[true,null,2,"x"],"b":1}"#
        );
        let mut card = AgentCard::new("n", "d", "1");
        let unsigned = card.signing_payload();
        card.signatures.push(AgentCardSignature {
            protected: "p".into(),
            signature: "s".into(),
            header: None,
        });
        assert_eq!(card.signing_payload(), unsigned);
    }
}
