//! The people page tests' view of the shared browser stand-in (`enishi_testkit::web`): answers
//! with a numeric status and a plain `Location`, plus a few helpers of these tests.

use enishi_server::Running;
use enishi_testkit::web::WebClient;

/// A browser: the shared client, logged in or not.
pub struct Browser(WebClient);

/// What a page request answered.
pub struct Answer {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl From<enishi_testkit::web::Answer> for Answer {
    fn from(a: enishi_testkit::web::Answer) -> Answer {
        Answer {
            status: a.status.as_u16(),
            location: a.location.unwrap_or_default(),
            body: a.html,
        }
    }
}

impl Browser {
    pub fn new(run: &Running) -> Browser {
        Browser(WebClient::new(&run.base_url))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        Ok(self.0.get(path).await?.into())
    }

    /// A page that must answer 200.
    pub async fn page(&self, path: &str) -> anyhow::Result<String> {
        let a = self.get(path).await?;
        anyhow::ensure!(a.status == 200, "GET {path}: {} {}", a.status, a.body);
        Ok(a.body)
    }

    /// Posts a form as the page would: with the form token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        Ok(self.0.post(path, fields).await?.into())
    }

    /// Posts exactly `fields` (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        Ok(self.0.post_raw(path, fields).await?.into())
    }

    /// Posts a form that must redirect (303) to `to`.
    pub async fn submit(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        to: &str,
    ) -> anyhow::Result<()> {
        let a = self.post(path, fields).await?;
        anyhow::ensure!(
            a.status == 303 && a.location == to,
            "POST {path}: {} → {:?} (wanted {to}) {}",
            a.status,
            a.location,
            a.body
        );
        Ok(())
    }

    /// Logs in through the login page.
    pub async fn login(run: &Running, name: &str) -> anyhow::Result<Browser> {
        let b = Browser::new(run);
        b.0.login(name, "password1").await?;
        Ok(b)
    }
}

/// The first path segment in `html` right after `prefix` (an id in a form's action).
pub fn id_after(html: &str, prefix: &str) -> Option<String> {
    let at = html.find(prefix)? + prefix.len();
    Some(html[at..].split('/').next()?.to_owned())
}
