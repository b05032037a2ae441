//! The accounts that `@handles` in what a member writes name, found before the text is stored:
//! members and known remote actors from the database, others by WebFinger through the one
//! outgoing-request policy. A handle nobody answers for stays text.

use crate::state::AppState;
use enishi_core::Actor;
use enishi_core::mention::mentions_in;

/// The actors the handles in `texts` name (at most [`enishi_core::mention::MAX_MENTIONS`]
/// handles, looked up at once). Lookups that fail are left out: a mention of an unknown or
/// unreachable account is not an error in the text.
pub async fn known_in(state: &AppState, texts: &[&str]) -> Vec<Actor> {
    let mut handles = Vec::new();
    for text in texts {
        for h in mentions_in(text) {
            if !handles.contains(&h) && handles.len() < enishi_core::mention::MAX_MENTIONS {
                handles.push(h);
            }
        }
    }
    let mut lookups = tokio::task::JoinSet::new();
    for h in handles {
        let handle = match &h.domain {
            Some(d) => format!("{}@{d}", h.username),
            None => h.username.clone(),
        };
        let state = state.clone();
        lookups.spawn(async move { crate::api::resolve_or_fetch(&state, &handle).await.ok() });
    }
    let mut found: Vec<Actor> = Vec::new();
    while let Some(done) = lookups.join_next().await {
        if let Ok(Some(actor)) = done
            && !found.iter().any(|f| f.id == actor.id)
        {
            found.push(actor);
        }
    }
    found
}
