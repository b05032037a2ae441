//! Moving a whole instance from SQLite to PostgreSQL: every table, row for row (members,
//! keys, posts, friendships, the delivery queue, photo references…), into an empty database
//! that this build's migrations have prepared.
//!
//! The copy is resumable: each batch of rows is committed on the target together with a note
//! of how far the copy got (table `enishi_move_progress`), so a move interrupted at any point
//! continues where it stopped when run again, and never copies a row twice. The note is
//! dropped when the move is complete. The source should not change meanwhile; the caller
//! copies from a snapshot of it.

use crate::tables::{self, MIGRATIONS_TABLE, Table, ident, literal};
use crate::{Backend, Db};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, TransactionTrait, Value};
use std::collections::BTreeMap;

/// Rows per committed batch.
const BATCH: usize = 500;

/// The target's record of a move in progress.
const PROGRESS_TABLE: &str = "enishi_move_progress";

/// Why a move cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// The source is not SQLite or the target not PostgreSQL.
    #[error("{0}")]
    WrongEngine(&'static str),
    /// The target already holds data that no earlier move left there.
    #[error(
        "the target database is not empty (table {0} has rows); move into a new, empty database"
    )]
    NotEmpty(String),
    /// The two schemas differ (different versions of Enishi).
    #[error("the schemas differ: {0}")]
    SchemaMismatch(String),
    /// A table's row count differs after the copy.
    #[error("table {table}: {source_rows} rows in the source but {target_rows} in the target")]
    CountMismatch {
        /// The table.
        table: String,
        /// Rows in the source.
        source_rows: u64,
        /// Rows in the target.
        target_rows: u64,
    },
    /// The progress callback asked to stop; what was copied stays, and the next run resumes.
    #[error("the move was interrupted; run it again to continue")]
    Interrupted,
    /// A database error.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What a finished move did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveReport {
    /// Tables copied.
    pub tables: usize,
    /// Rows in all of them.
    pub rows: u64,
    /// Rows an earlier, interrupted run had already copied.
    pub already_copied: u64,
}

/// Told how far a move is (the table being copied, rows copied so far, all rows) after each
/// committed batch; answers whether to go on (`false` interrupts the move, which a later run
/// resumes).
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) -> bool + Send + Sync);

/// Copies every table of `source` (SQLite) into `target` (PostgreSQL), which must be empty or
/// hold an interrupted move of the same source. Runs the migrations on `target` first.
pub async fn move_to_postgres(
    source: &Db,
    target: &Db,
    progress: Progress<'_>,
) -> Result<MoveReport, MoveError> {
    if source.backend != Backend::Sqlite {
        return Err(MoveError::WrongEngine("the source database is not SQLite"));
    }
    if target.backend != Backend::Postgres {
        return Err(MoveError::WrongEngine(
            "the target database is not PostgreSQL",
        ));
    }
    crate::migrate(target).await?;
    let source_tables: Vec<Table> = tables::list(source)
        .await?
        .into_iter()
        .filter(|t| t.name != MIGRATIONS_TABLE)
        .collect();
    let target_tables: BTreeMap<String, Table> = tables::list(target)
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    let resuming = target_tables.contains_key(PROGRESS_TABLE);
    same_migrations(source, target).await?;
    for t in &source_tables {
        let Some(theirs) = target_tables.get(&t.name) else {
            return Err(MoveError::SchemaMismatch(format!(
                "table {} is missing in the target",
                t.name
            )));
        };
        let mut ours = t.columns.clone();
        let mut them = theirs.columns.clone();
        ours.sort();
        them.sort();
        if ours != them {
            return Err(MoveError::SchemaMismatch(format!(
                "table {} has columns {ours:?} in the source but {them:?} in the target",
                t.name
            )));
        }
    }
    if !resuming {
        for name in target_tables.keys() {
            if name != MIGRATIONS_TABLE && tables::count(target, name).await? > 0 {
                return Err(MoveError::NotEmpty(name.clone()));
            }
        }
        target
            .conn
            .execute_unprepared(&format!(
                "CREATE TABLE {PROGRESS_TABLE} (table_name text PRIMARY KEY, \
                 last_rowid bigint NOT NULL, copied bigint NOT NULL, done boolean NOT NULL)"
            ))
            .await?;
    }
    let mut totals = Vec::with_capacity(source_tables.len());
    for t in &source_tables {
        totals.push(tables::count(source, &t.name).await?);
    }
    let all: u64 = totals.iter().sum();
    let mut report = MoveReport {
        tables: source_tables.len(),
        rows: all,
        already_copied: 0,
    };
    let mut done_rows = 0u64;
    for table in &source_tables {
        let (mut last_rowid, mut copied, done) = read_progress(target, &table.name).await?;
        report.already_copied += copied;
        done_rows += copied;
        if !progress(&table.name, done_rows, all) {
            return Err(MoveError::Interrupted);
        }
        if done {
            continue;
        }
        let types = column_types(target, &table.name).await?;
        loop {
            let batch = read_batch(source, table, last_rowid).await?;
            let Some(&(next_rowid, _)) = batch.last() else {
                break;
            };
            let n = batch.len() as u64;
            let txn = target.conn.begin().await?;
            txn.execute_raw(insert(table, &types, batch)?).await?;
            copied += n;
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "INSERT INTO {PROGRESS_TABLE} (table_name, last_rowid, copied, done) \
                     VALUES ($1, $2, $3, false) ON CONFLICT (table_name) \
                     DO UPDATE SET last_rowid = $2, copied = $3"
                ),
                [
                    table.name.clone().into(),
                    next_rowid.into(),
                    (copied as i64).into(),
                ],
            ))
            .await?;
            txn.commit().await?;
            last_rowid = next_rowid;
            done_rows += n;
            if !progress(&table.name, done_rows, all) {
                return Err(MoveError::Interrupted);
            }
        }
        target
            .conn
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "INSERT INTO {PROGRESS_TABLE} (table_name, last_rowid, copied, done) \
                     VALUES ($1, $2, $3, true) ON CONFLICT (table_name) DO UPDATE SET done = true"
                ),
                [
                    table.name.clone().into(),
                    last_rowid.into(),
                    (copied as i64).into(),
                ],
            ))
            .await?;
    }
    for table in &source_tables {
        let (source_rows, target_rows) = (
            tables::count(source, &table.name).await?,
            tables::count(target, &table.name).await?,
        );
        if source_rows != target_rows {
            return Err(MoveError::CountMismatch {
                table: table.name.clone(),
                source_rows,
                target_rows,
            });
        }
    }
    advance_sequences(target).await?;
    target
        .conn
        .execute_unprepared(&format!("DROP TABLE {PROGRESS_TABLE}"))
        .await?;
    Ok(report)
}

/// Both databases must have applied exactly the same migrations.
async fn same_migrations(source: &Db, target: &Db) -> Result<(), MoveError> {
    let versions = |db: &Db| {
        let db = db.clone();
        async move {
            db.conn
                .query_all_raw(Statement::from_string(
                    db.conn.get_database_backend(),
                    format!("SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version"),
                ))
                .await?
                .iter()
                .map(|r| r.try_get_by_index::<String>(0))
                .collect::<Result<Vec<_>, DbErr>>()
        }
    };
    let (ours, theirs) = (versions(source).await?, versions(target).await?);
    if ours != theirs {
        return Err(MoveError::SchemaMismatch(format!(
            "the source has migrations {ours:?}, the target {theirs:?}"
        )));
    }
    Ok(())
}

async fn read_progress(target: &Db, table: &str) -> Result<(i64, u64, bool), DbErr> {
    let row = target
        .conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT last_rowid, copied, done FROM {PROGRESS_TABLE} WHERE table_name = $1"),
            [table.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => (
            r.try_get_by_index::<i64>(0)?,
            r.try_get_by_index::<i64>(1)?.max(0) as u64,
            r.try_get_by_index::<bool>(2)?,
        ),
        None => (0, 0, false),
    })
}

/// The target's type of each column of `table` (PostgreSQL's `udt_name`: int8, bool, text,
/// timestamptz, bytea…).
async fn column_types(target: &Db, table: &str) -> Result<BTreeMap<String, String>, DbErr> {
    target
        .conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT column_name::text, udt_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
            [table.into()],
        ))
        .await?
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect()
}

/// One source value: its SQLite storage class and its text (hex for blobs).
type Cell = (String, Option<String>);

/// Up to [`BATCH`] rows of `table` after `after` (by rowid), each with its rowid.
async fn read_batch(
    source: &Db,
    table: &Table,
    after: i64,
) -> Result<Vec<(i64, Vec<Cell>)>, DbErr> {
    let mut select = vec!["rowid".to_owned()];
    for c in &table.columns {
        let c = ident(c);
        select.push(format!("typeof({c})"));
        select.push(format!(
            "CASE typeof({c}) WHEN 'blob' THEN hex({c}) WHEN 'real' THEN printf('%.17g', {c}) \
             ELSE CAST({c} AS TEXT) END"
        ));
    }
    let rows = source
        .conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT {} FROM {} WHERE rowid > ? ORDER BY rowid LIMIT {BATCH}",
                select.join(", "),
                ident(&table.name)
            ),
            [after.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let rowid: i64 = r.try_get_by_index(0)?;
            let cells = (0..table.columns.len())
                .map(|i| {
                    Ok((
                        r.try_get_by_index::<String>(1 + 2 * i)?,
                        r.try_get_by_index::<Option<String>>(2 + 2 * i)?,
                    ))
                })
                .collect::<Result<Vec<_>, DbErr>>()?;
            Ok((rowid, cells))
        })
        .collect()
}

/// One multi-row INSERT of `rows` into `table`, each value converted to its target type.
fn insert(
    table: &Table,
    types: &BTreeMap<String, String>,
    rows: Vec<(i64, Vec<Cell>)>,
) -> Result<Statement, DbErr> {
    let columns: Vec<String> = table.columns.iter().map(|c| ident(c)).collect();
    let mut values = Vec::with_capacity(rows.len() * columns.len());
    let mut tuples = Vec::with_capacity(rows.len());
    for (_, cells) in rows {
        let mut placeholders = Vec::with_capacity(cells.len());
        for (column, (class, text)) in table.columns.iter().zip(cells) {
            let udt = types.get(column).map(String::as_str).unwrap_or("text");
            values.push(convert(&table.name, column, udt, &class, text)?);
            placeholders.push(match udt {
                "int2" | "int4" | "int8" | "bool" | "bytea" | "text" | "varchar" => {
                    format!("${}", values.len())
                }
                other => format!("CAST(${} AS {})", values.len(), other),
            });
        }
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            ident(&table.name),
            columns.join(", "),
            tuples.join(", ")
        ),
        values,
    ))
}

/// A source value as a value of PostgreSQL type `udt`.
fn convert(
    table: &str,
    column: &str,
    udt: &str,
    class: &str,
    text: Option<String>,
) -> Result<Value, DbErr> {
    let bad = |what: &str| {
        DbErr::Custom(format!(
            "table {table}, column {column}: {what} cannot become PostgreSQL's {udt}"
        ))
    };
    let from_hex = |hex: &str| -> Result<Vec<u8>, DbErr> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<_, _>>()
            .map_err(|_| bad("a malformed blob"))
    };
    Ok(match udt {
        "int2" | "int4" | "int8" => match text {
            None => Value::BigInt(None),
            Some(t) => Value::BigInt(Some(t.parse::<i64>().map_err(|_| bad(&format!("{t:?}")))?)),
        },
        "bool" => match text.as_deref() {
            None => Value::Bool(None),
            Some("1") | Some("true") => Value::Bool(Some(true)),
            Some("0") | Some("false") => Value::Bool(Some(false)),
            Some(t) => return Err(bad(&format!("{t:?}"))),
        },
        "bytea" => match text {
            None => Value::Bytes(None),
            Some(t) if class == "blob" => Value::Bytes(Some(from_hex(&t)?)),
            Some(t) => Value::Bytes(Some(t.into_bytes())),
        },
        "uuid" if class == "blob" => {
            let hex = text.unwrap_or_default().to_ascii_lowercase();
            if hex.len() != 32 {
                return Err(bad("a blob that is not 16 bytes"));
            }
            Value::String(Some(format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )))
        }
        _ => Value::String(text),
    })
}

/// Sets every serial or identity column's sequence past the largest copied value, so that the
/// next row PostgreSQL numbers does not collide with a moved one.
async fn advance_sequences(target: &Db) -> Result<(), DbErr> {
    let columns = target
        .conn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() \
             AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL",
        ))
        .await?;
    for r in columns {
        let (table, column): (String, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        target
            .conn
            .execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({c}), 1), \
                 MAX({c}) IS NOT NULL) FROM {}",
                literal(&ident(&table)),
                literal(&column),
                ident(&table),
                c = ident(&column),
            ))
            .await?;
    }
    Ok(())
}
