//! The JSON-LD `@context` of every document Enishi serves.
//!
//! Enishi's own terms are defined inline under its namespace: peers (Fedify, Mastodon) preload
//! only well-known contexts and never fetch an unknown one.

use serde_json::{Value, json};

/// Enishi's vocabulary namespace.
pub const ENISHI_NS: &str = "https://enishi.social/ns#";

/// The `@context` for actors and objects.
pub fn default_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "enishi": ENISHI_NS,
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "featured": { "@id": "toot:featured", "@type": "@id" },
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "indexable": "toot:indexable",
            "introductions": { "@id": "enishi:introductions", "@type": "@id" },
            "introductionOf": { "@id": "enishi:introductionOf", "@type": "@id" },
            "friendsAudience": "enishi:friendsAudience",
            "introductionsAudience": "enishi:introductionsAudience",
            "gts": "https://gotosocial.org/ns#",
            "interactionPolicy": { "@id": "gts:interactionPolicy", "@type": "@id" },
            "canReply": { "@id": "gts:canReply", "@type": "@id" },
            "canLike": { "@id": "gts:canLike", "@type": "@id" },
            "canAnnounce": { "@id": "gts:canAnnounce", "@type": "@id" },
            "automaticApproval": { "@id": "gts:automaticApproval", "@type": "@id" }
        }
    ])
}
