//! Who may see a piece of content (DESIGN §3).

use crate::ValidationError;
use std::fmt;
use std::str::FromStr;

/// The audience of a diary, voice post, profile field or list.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone, logged out and remote included.
    Public,
    /// Every logged-in member of this instance; never leaves the instance.
    Members,
    /// Friends, and friends of friends as far as this instance can prove it.
    FriendsOfFriends,
    /// The author's friends.
    Friends,
    /// The author alone; never leaves the instance.
    Private,
}

impl Audience {
    /// Every audience, widest first.
    pub const ALL: [Audience; 5] = [
        Audience::Public,
        Audience::Members,
        Audience::FriendsOfFriends,
        Audience::Friends,
        Audience::Private,
    ];

    /// The stable wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Members => "members",
            Audience::FriendsOfFriends => "friends_of_friends",
            Audience::Friends => "friends",
            Audience::Private => "private",
        }
    }

    /// Whether everyone `other` admits is admitted by `self` too, whatever the relations. When
    /// it is not, a change from `other` to `self` narrows the audience: someone loses sight.
    pub fn includes(self, other: Audience) -> bool {
        self == other
            || self == Audience::Public
            || other == Audience::Private
            || (self == Audience::FriendsOfFriends && other == Audience::Friends)
    }

    /// Whether content with this audience may ever be sent to another server.
    pub fn leaves_instance(self) -> bool {
        !matches!(self, Audience::Members | Audience::Private)
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Audience {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Audience::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                ValidationError::new(
                    "audience",
                    format!(
                        "unknown audience {s:?}; expected one of public, members, friends_of_friends, friends, private"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names() {
        for a in Audience::ALL {
            assert_eq!(a.as_str().parse::<Audience>().unwrap(), a);
        }
        assert_eq!(
            "everyone".parse::<Audience>().unwrap_err().field,
            "audience"
        );
    }

    #[test]
    fn only_members_and_private_stay_home() {
        let stay: Vec<_> = Audience::ALL
            .into_iter()
            .filter(|a| !a.leaves_instance())
            .collect();
        assert_eq!(stay, [Audience::Members, Audience::Private]);
    }
}
