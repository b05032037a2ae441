//! WebFinger JSON Resource Descriptors (RFC 7033).

use serde::{Deserialize, Serialize};

/// A JSON Resource Descriptor (RFC 7033).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Jrd {
    /// The resource described.
    pub subject: String,
    /// Other names of the same resource.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Links.
    #[serde(default)]
    pub links: Vec<JrdLink>,
}

/// One link of a JRD.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JrdLink {
    /// Relation.
    pub rel: String,
    /// Media type of the target.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// URI template (host-meta `lrdd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl Jrd {
    /// The `self` link's target with an ActivityStreams media type: the actor id.
    pub fn actor_url(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| {
                l.rel == "self"
                    && l.kind.as_deref().is_some_and(|k| {
                        k.starts_with("application/activity+json")
                            || k.starts_with("application/ld+json")
                    })
            })
            .and_then(|l| l.href.as_deref())
    }
}
