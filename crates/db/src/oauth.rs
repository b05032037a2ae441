//! OAuth 2 for Mastodon apps (issue 18): registered apps, authorization codes (with PKCE)
//! and the tokens issued for them. Client secrets, codes and tokens are kept as SHA-256
//! hashes only, like Enishi's own tokens.

use crate::entity::{api_token, oauth_app, oauth_app_token, oauth_code};
use crate::tokens::{self, hash, secret};
use crate::{Db, accounts};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use chrono::Utc;
use enishi_core::scopes::Scopes;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

/// How long an authorization code may wait for its exchange.
pub const CODE_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// A registered app.
pub type App = oauth_app::Model;

/// An app to register.
pub struct NewApp<'a> {
    /// Its name, shown to members when they approve it.
    pub name: &'a str,
    /// Its website, if any.
    pub website: Option<&'a str>,
    /// Where it may be sent back to with a code, compared exactly.
    pub redirect_uris: &'a [String],
    /// The most it may ask for.
    pub scopes: &'a Scopes,
}

/// Registers an app; returns it with its client secret, which is not kept and cannot be
/// shown again.
pub async fn register_app(db: &Db, app: NewApp<'_>) -> Result<(App, String), DbErr> {
    let client_secret = secret()?;
    let row = oauth_app::ActiveModel {
        client_id: Set(secret()?),
        secret_hash: Set(hash(&client_secret)),
        name: Set(app.name.to_owned()),
        website: Set(app.website.map(str::to_owned)),
        redirect_uris: Set(app.redirect_uris.join("\n")),
        scopes: Set(app.scopes.to_text()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok((row, client_secret))
}

/// The app with `client_id`, if registered.
pub async fn find_app(db: &Db, client_id: &str) -> Result<Option<App>, DbErr> {
    oauth_app::Entity::find()
        .filter(oauth_app::Column::ClientId.eq(client_id))
        .one(&db.conn)
        .await
}

/// The app with row id `id`.
pub async fn app_by_id(db: &Db, id: i64) -> Result<Option<App>, DbErr> {
    oauth_app::Entity::find_by_id(id).one(&db.conn).await
}

/// The app with `client_id`, if registered and `client_secret` is its secret.
pub async fn authenticate_app(
    db: &Db,
    client_id: &str,
    client_secret: &str,
) -> Result<Option<App>, DbErr> {
    Ok(find_app(db, client_id)
        .await?
        .filter(|a| a.secret_hash == hash(client_secret)))
}

/// The app's redirect URIs.
pub fn redirect_uris(app: &App) -> impl Iterator<Item = &str> {
    app.redirect_uris.lines()
}

/// The scopes the app registered with.
pub fn app_scopes(app: &App) -> Scopes {
    Scopes::parse(&app.scopes).unwrap_or(Scopes::Granted(Vec::new()))
}

/// Why a grant was refused, in RFC 6749's terms.
#[derive(Debug, PartialEq, Eq)]
pub enum GrantError {
    /// The code is unknown, used, expired, for another app or redirect URI, or the PKCE
    /// verifier does not match; or the username and password are wrong.
    InvalidGrant,
    /// More scopes than the app registered with.
    InvalidScope,
}

/// Issues a single-use code for `account_id`'s approval of `app`.
pub async fn issue_code(
    db: &Db,
    app: &App,
    account_id: i64,
    redirect_uri: &str,
    scopes: &Scopes,
    code_challenge: Option<&str>,
) -> Result<String, DbErr> {
    // Codes never exchanged would pile up: each new one clears the expired.
    oauth_code::Entity::delete_many()
        .filter(oauth_code::Column::ExpiresAt.lt(Utc::now()))
        .exec(&db.conn)
        .await?;
    let code = secret()?;
    oauth_code::ActiveModel {
        code_hash: Set(hash(&code)),
        app_id: Set(app.id),
        account_id: Set(account_id),
        redirect_uri: Set(redirect_uri.to_owned()),
        scopes: Set(scopes.to_text()),
        code_challenge: Set(code_challenge.map(str::to_owned)),
        expires_at: Set(Utc::now() + CODE_LIFETIME),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok(code)
}

/// The S256 challenge of a PKCE verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(digest(&SHA256, verifier.as_bytes()).as_ref())
}

/// Exchanges a code for a token. The code is gone after the first try, whatever its outcome,
/// so that a stolen code cannot be tried twice.
pub async fn redeem_code(
    db: &Db,
    app: &App,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<Result<(String, Scopes), GrantError>, DbErr> {
    let txn = crate::begin_write(db).await?;
    let Some(row) = oauth_code::Entity::find()
        .filter(oauth_code::Column::CodeHash.eq(hash(code)))
        .one(&txn)
        .await?
    else {
        return Ok(Err(GrantError::InvalidGrant));
    };
    // Whoever deletes the row redeems it: a second exchange racing this one finds nothing.
    let taken = oauth_code::Entity::delete_many()
        .filter(oauth_code::Column::Id.eq(row.id))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let pkce_ok = match (&row.code_challenge, code_verifier) {
        (None, _) => true,
        (Some(challenge), Some(verifier)) => pkce_challenge(verifier) == *challenge,
        (Some(_), None) => false,
    };
    let valid = taken
        && row.app_id == app.id
        && row.redirect_uri == redirect_uri
        && row.expires_at > Utc::now()
        && pkce_ok;
    if !valid {
        txn.commit().await?;
        return Ok(Err(GrantError::InvalidGrant));
    }
    let scopes = Scopes::parse(&row.scopes).unwrap_or(Scopes::Granted(Vec::new()));
    let token = tokens::create_for_app(&txn, row.account_id, app, &scopes).await?;
    txn.commit().await?;
    Ok(Ok((token, scopes)))
}

/// The password grant: a token for the member with these credentials.
pub async fn password_grant(
    db: &Db,
    app: &App,
    username: &str,
    password: &str,
    scopes: &Scopes,
) -> Result<Result<String, GrantError>, DbErr> {
    if !app_scopes(app).covers(scopes) {
        return Ok(Err(GrantError::InvalidScope));
    }
    let Some(member) = accounts::authenticate(db, username, password).await? else {
        return Ok(Err(GrantError::InvalidGrant));
    };
    Ok(Ok(tokens::create_for_app(
        &db.conn,
        member.account_id,
        app,
        scopes,
    )
    .await?))
}

/// The client_credentials grant: a token of the app itself, naming no member.
pub async fn app_token(
    db: &Db,
    app: &App,
    scopes: &Scopes,
) -> Result<Result<String, GrantError>, DbErr> {
    if !app_scopes(app).covers(scopes) {
        return Ok(Err(GrantError::InvalidScope));
    }
    let token = secret()?;
    oauth_app_token::ActiveModel {
        app_id: Set(app.id),
        token_hash: Set(hash(&token)),
        scopes: Set(scopes.to_text()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&db.conn)
    .await?;
    Ok(Ok(token))
}

/// The app an app token (client_credentials) belongs to.
pub async fn authenticate_app_token(db: &Db, token: &str) -> Result<Option<App>, DbErr> {
    let Some(row) = oauth_app_token::Entity::find()
        .filter(oauth_app_token::Column::TokenHash.eq(hash(token)))
        .one(&db.conn)
        .await?
    else {
        return Ok(None);
    };
    oauth_app::Entity::find_by_id(row.app_id)
        .one(&db.conn)
        .await
}

/// Revokes a token that `app` holds (a member's or its own). Revoking an unknown token is not
/// an error (RFC 7009).
pub async fn revoke(db: &Db, app: &App, token: &str) -> Result<(), DbErr> {
    api_token::Entity::delete_many()
        .filter(api_token::Column::TokenHash.eq(hash(token)))
        .filter(api_token::Column::AppId.eq(app.id))
        .exec(&db.conn)
        .await?;
    oauth_app_token::Entity::delete_many()
        .filter(oauth_app_token::Column::TokenHash.eq(hash(token)))
        .filter(oauth_app_token::Column::AppId.eq(app.id))
        .exec(&db.conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            super::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
