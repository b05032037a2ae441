//! Local member accounts.

use crate::entity::{account, actor};
use crate::{ActorKeys, Db, actors, is_unique_violation, password};
use chrono::Utc;
use enishi_core::{
    ActorKind, Audience, InstanceSettings, Member, MemberSettings, Username, ValidationError,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// Why a member could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateMemberError {
    /// The username or password breaks a rule.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Someone already has this username (compared case-insensitively).
    #[error("the username {0:?} is already taken")]
    UsernameTaken(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What a new member is made of.
pub struct NewMember<'a> {
    /// Requested username; validated and lower-cased here.
    pub username: &'a str,
    /// Plain password; validated and hashed here.
    pub password: &'a str,
    /// Whether the member administers the instance.
    pub is_admin: bool,
    /// The key pair of the member's actor.
    pub keys: ActorKeys,
}

/// A member's settings from their account row; an unparsable stored audience fails closed
/// (`private`).
pub(crate) fn settings_from_row(row: &account::Model) -> MemberSettings {
    let d = MemberSettings::default();
    let parse = |v: &str, _default: Audience| v.parse().unwrap_or(Audience::Private);
    MemberSettings {
        default_audience: parse(&row.default_audience, d.default_audience),
        footprints_enabled: row.footprints_enabled,
        nickname_audience: parse(&row.nickname_audience, d.nickname_audience),
        bio_audience: parse(&row.bio_audience, d.bio_audience),
        avatar_audience: parse(&row.avatar_audience, d.avatar_audience),
        friends_audience: parse(&row.friends_audience, d.friends_audience),
        introductions_audience: parse(&row.introductions_audience, d.introductions_audience),
    }
}

fn to_domain(account: account::Model, actor: actor::Model) -> Result<Member, DbErr> {
    Ok(Member {
        settings: settings_from_row(&account),
        account_id: account.id,
        actor: actors::to_domain(actor)?,
        is_admin: account.is_admin,
        is_moderator: account.is_moderator,
        suspended_at: account.suspended_at,
        created_at: account.created_at,
        language: account.language,
    })
}

/// Creates a member: their Person actor and their account, in one transaction.
pub async fn create(
    db: &Db,
    settings: &InstanceSettings,
    new: NewMember<'_>,
) -> Result<Member, CreateMemberError> {
    let username = Username::parse(new.username)?;
    password::validate(new.password)?;
    let hash = password::hash(new.password);
    let taken = || CreateMemberError::UsernameTaken(username.to_string());

    let txn = db.conn.begin().await?;
    let ap_id = settings.actor_url(username.as_str());
    let row = actors::new_local(
        settings,
        ActorKind::Person,
        username.as_str(),
        &ap_id,
        &new.keys,
    );
    let actor_row = match row.insert(&txn).await {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => return Err(taken()),
        Err(e) => return Err(e.into()),
    };
    let now = Utc::now();
    let account_row = account::ActiveModel {
        actor_id: Set(actor_row.id),
        username: Set(username.to_string()),
        password_hash: Set(hash),
        is_admin: Set(new.is_admin),
        is_moderator: Set(false),
        suspended_at: Set(None),
        created_at: Set(now),
        default_audience: Set(MemberSettings::default().default_audience.as_str().into()),
        nickname_audience: Set(MemberSettings::default().nickname_audience.as_str().into()),
        bio_audience: Set(MemberSettings::default().bio_audience.as_str().into()),
        avatar_audience: Set(MemberSettings::default().avatar_audience.as_str().into()),
        friends_audience: Set(MemberSettings::default().friends_audience.as_str().into()),
        introductions_audience: Set(MemberSettings::default()
            .introductions_audience
            .as_str()
            .into()),
        footprints_enabled: Set(true),
        language: Set(None),
        ..Default::default()
    };
    let account_row = match account_row.insert(&txn).await {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => return Err(taken()),
        Err(e) => return Err(e.into()),
    };
    txn.commit().await?;
    Ok(to_domain(account_row, actor_row)?)
}

/// A member by username (case-insensitive).
pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<Member>, DbErr> {
    let found = account::Entity::find()
        .filter(account::Column::Username.eq(username.to_ascii_lowercase()))
        .find_also_related(actor::Entity)
        .one(&db.conn)
        .await?;
    match found {
        Some((account, Some(actor))) => Ok(Some(to_domain(account, actor)?)),
        Some((account, None)) => Err(DbErr::Custom(format!(
            "account {} has no actor",
            account.id
        ))),
        None => Ok(None),
    }
}

/// Checks a username and password; `None` when either is wrong or the member is suspended.
pub async fn authenticate(
    db: &Db,
    username: &str,
    password: &str,
) -> Result<Option<Member>, DbErr> {
    let row = account::Entity::find()
        .filter(account::Column::Username.eq(username.trim().to_ascii_lowercase()))
        .one(&db.conn)
        .await?;
    let Some(row) = row else {
        // Spend the same time as a real check so that timing does not reveal who exists.
        let _ = password::verify(password, &DUMMY_HASH);
        return Ok(None);
    };
    if !password::verify(password, &row.password_hash) || row.suspended_at.is_some() {
        return Ok(None);
    }
    find_by_username(db, &row.username).await
}

/// A real argon2id hash, checked against for unknown users to equalise timing.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password::hash("no such member"));

/// Every member, oldest first.
pub async fn list(db: &Db) -> Result<Vec<Member>, DbErr> {
    account::Entity::find()
        .find_also_related(actor::Entity)
        .order_by_asc(account::Column::Id)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|(account, actor)| {
            let actor = actor
                .ok_or_else(|| DbErr::Custom(format!("account {} has no actor", account.id)))?;
            to_domain(account, actor)
        })
        .collect()
}

/// A page of members, newest first: up to `limit` with an account id below `before`.
pub async fn list_newest(db: &Db, before: Option<i64>, limit: u64) -> Result<Vec<Member>, DbErr> {
    use sea_orm::QuerySelect;
    let mut q = account::Entity::find()
        .find_also_related(actor::Entity)
        .order_by_desc(account::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        q = q.filter(account::Column::Id.lt(before));
    }
    q.all(&db.conn)
        .await?
        .into_iter()
        .map(|(account, actor)| {
            let actor = actor
                .ok_or_else(|| DbErr::Custom(format!("account {} has no actor", account.id)))?;
            to_domain(account, actor)
        })
        .collect()
}

/// Suspends or reinstates a member; returns false when there is no such member. Suspending
/// also ends every browser session of theirs in the same transaction, so that no page of
/// theirs stays open (a suspended member's sessions are refused anyway; this keeps none
/// around to come back to life on reinstatement).
pub async fn set_suspended(
    db: &Db,
    username: &str,
    suspended: bool,
    moderator: &str,
) -> Result<bool, DbErr> {
    use crate::entity::browser_session;
    let txn = db.conn.begin().await?;
    let Some(row) = account::Entity::find()
        .filter(account::Column::Username.eq(username.trim().to_ascii_lowercase()))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    if row.deleted_at.is_some() {
        // A deleted account stays suspended for good.
        return Ok(false);
    }
    let id = row.id;
    let mut row: account::ActiveModel = row.into();
    row.suspended_at = Set(suspended.then(Utc::now));
    let row = row.update(&txn).await?;
    let action = if suspended {
        "account_suspend"
    } else {
        "account_unsuspend"
    };
    crate::audit::record(&txn, moderator, action, &row.username, None).await?;
    if suspended {
        browser_session::Entity::delete_many()
            .filter(browser_session::Column::AccountId.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Why a sign-up was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    /// Registration is closed, or an invite is required and the code is missing, unknown,
    /// used up or expired (one answer for all, so codes cannot be probed).
    #[error("this invite code cannot be used")]
    InviteRefused,
    /// Registration is closed.
    #[error("registration is closed")]
    Closed,
    /// The member could not be created.
    #[error(transparent)]
    Create(#[from] CreateMemberError),
}

/// Creates a member through the sign-up form: in `invite` mode the code is redeemed in the same
/// transaction, so that a code's last use cannot be taken twice.
pub async fn sign_up(
    db: &Db,
    settings: &InstanceSettings,
    mode: enishi_core::RegistrationMode,
    invite_code: Option<&str>,
    new: NewMember<'_>,
) -> Result<Member, SignUpError> {
    use crate::entity::invite;
    use enishi_core::RegistrationMode;
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Expr;
    match mode {
        RegistrationMode::Closed => return Err(SignUpError::Closed),
        RegistrationMode::Open => return Ok(create(db, settings, new).await?),
        RegistrationMode::Invite => {}
    }
    let code = invite_code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or(SignUpError::InviteRefused)?;
    // Validate before spending the invite, so that a typo in the password keeps the code.
    Username::parse(new.username).map_err(CreateMemberError::from)?;
    password::validate(new.password).map_err(CreateMemberError::from)?;
    let now = Utc::now();
    let spent = invite::Entity::update_many()
        .col_expr(invite::Column::Uses, Expr::col(invite::Column::Uses).add(1))
        .filter(invite::Column::Code.eq(code.to_ascii_lowercase()))
        .filter(Expr::col(invite::Column::Uses).lt(Expr::col(invite::Column::MaxUses)))
        .filter(
            invite::Column::ExpiresAt
                .is_null()
                .or(invite::Column::ExpiresAt.gt(now)),
        )
        .exec(&db.conn)
        .await
        .map_err(CreateMemberError::from)?;
    if spent.rows_affected == 0 {
        return Err(SignUpError::InviteRefused);
    }
    match create(db, settings, new).await {
        Ok(member) => Ok(member),
        Err(e) => {
            // Give the use back: the account was not made.
            invite::Entity::update_many()
                .col_expr(invite::Column::Uses, Expr::col(invite::Column::Uses).sub(1))
                .filter(invite::Column::Code.eq(code.to_ascii_lowercase()))
                .exec(&db.conn)
                .await
                .map_err(CreateMemberError::from)?;
            Err(e.into())
        }
    }
}

/// What a member may do beyond their own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Nothing more.
    Member,
    /// Handles reports; acts on accounts and content.
    Moderator,
    /// Everything, server blocks and settings included.
    Admin,
}

impl Role {
    /// Reads `member`, `moderator` or `admin`.
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim() {
            "member" => Some(Role::Member),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

/// Gives member `username` `role` (recorded in the audit log as `role_set`); false when there
/// is no such member.
pub async fn set_role(db: &Db, username: &str, role: Role, moderator: &str) -> Result<bool, DbErr> {
    let txn = db.conn.begin().await?;
    let Some(row) = account::Entity::find()
        .filter(account::Column::Username.eq(username.trim().to_ascii_lowercase()))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let mut row: account::ActiveModel = row.into();
    row.is_admin = Set(role == Role::Admin);
    row.is_moderator = Set(role == Role::Moderator);
    let row = row.update(&txn).await?;
    crate::audit::record(
        &txn,
        moderator,
        "role_set",
        &row.username,
        Some(role.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Changes a member's password after checking the current one; `Ok(false)` when the current
/// password is wrong.
pub async fn change_password(
    db: &Db,
    account_id: i64,
    current: &str,
    new_password: &str,
) -> Result<bool, CreateMemberError> {
    let Some(row) = account::Entity::find_by_id(account_id)
        .one(&db.conn)
        .await?
    else {
        return Ok(false);
    };
    if !password::verify(current, &row.password_hash) {
        return Ok(false);
    }
    password::validate(new_password)?;
    let mut row: account::ActiveModel = row.into();
    row.password_hash = Set(password::hash(new_password));
    row.update(&db.conn).await?;
    Ok(true)
}

/// Stores the language a member chose for the pages (`None`: follow the browser).
pub async fn set_language(db: &Db, account_id: i64, language: Option<&str>) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::Language,
            sea_orm::sea_query::Expr::value(language.map(str::to_owned)),
        )
        .filter(account::Column::Id.eq(account_id))
        .exec(&db.conn)
        .await?;
    Ok(())
}
