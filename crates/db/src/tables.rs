//! The schema as the database itself reports it: which tables exist, in which order they can
//! be filled without breaking a foreign key, and a digest of their rows. Used by the move to
//! PostgreSQL and by the tests that compare a backup with its original; no entity is named
//! here, so a table added by a later migration is covered without a change.

use crate::{Backend, Db};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use std::collections::{BTreeMap, BTreeSet};

/// sea-orm-migration's own bookkeeping table (present on every migrated database).
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// One table and the tables its foreign keys point to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Its columns, in their declared order.
    pub columns: Vec<String>,
    /// Tables its rows refer to (other than itself).
    pub refers_to: BTreeSet<String>,
}

/// Double-quotes `name` as an SQL identifier (both engines).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn stmt(db: &Db, sql: impl Into<String>) -> Statement {
    Statement::from_string(db.conn.get_database_backend(), sql.into())
}

/// Every table of the application (sea-orm-migration's own included), parents before the
/// tables that refer to them.
pub async fn list(db: &Db) -> Result<Vec<Table>, DbErr> {
    let mut tables = Vec::new();
    match db.backend {
        Backend::Sqlite => {
            let names = db
                .conn
                .query_all_raw(stmt(
                    db,
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                ))
                .await?;
            for row in names {
                let name: String = row.try_get_by_index(0)?;
                let columns = db
                    .conn
                    .query_all_raw(stmt(
                        db,
                        format!("SELECT name FROM pragma_table_info({})", literal(&name)),
                    ))
                    .await?
                    .iter()
                    .map(|r| r.try_get_by_index::<String>(0))
                    .collect::<Result<Vec<_>, _>>()?;
                let refers_to = db
                    .conn
                    .query_all_raw(stmt(
                        db,
                        format!(
                            "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list({})",
                            literal(&name)
                        ),
                    ))
                    .await?
                    .iter()
                    .map(|r| r.try_get_by_index::<String>(0))
                    .collect::<Result<BTreeSet<_>, _>>()?;
                tables.push(Table {
                    name,
                    columns,
                    refers_to,
                });
            }
        }
        Backend::Postgres => {
            let names = db
                .conn
                .query_all_raw(stmt(
                    db,
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                     ORDER BY table_name",
                ))
                .await?;
            for row in names {
                let name: String = row.try_get_by_index(0)?;
                let columns = db
                    .conn
                    .query_all_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT column_name::text FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND table_name = $1 \
                         ORDER BY ordinal_position",
                        [name.clone().into()],
                    ))
                    .await?
                    .iter()
                    .map(|r| r.try_get_by_index::<String>(0))
                    .collect::<Result<Vec<_>, _>>()?;
                let refers_to = db
                    .conn
                    .query_all_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT DISTINCT ref.relname::text FROM pg_constraint c \
                         JOIN pg_class src ON src.oid = c.conrelid \
                         JOIN pg_class ref ON ref.oid = c.confrelid \
                         JOIN pg_namespace n ON n.oid = src.relnamespace \
                         WHERE c.contype = 'f' AND n.nspname = current_schema() \
                         AND src.relname = $1",
                        [name.clone().into()],
                    ))
                    .await?
                    .iter()
                    .map(|r| r.try_get_by_index::<String>(0))
                    .collect::<Result<BTreeSet<_>, _>>()?;
                tables.push(Table {
                    name,
                    columns,
                    refers_to,
                });
            }
        }
    }
    for t in &mut tables {
        let own = t.name.clone();
        t.refers_to.remove(&own);
    }
    parents_first(tables)
}

/// Orders `tables` so that each comes after every table it refers to.
fn parents_first(tables: Vec<Table>) -> Result<Vec<Table>, DbErr> {
    let mut left: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut placed = BTreeSet::new();
    let mut ordered = Vec::new();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .values()
            .filter(|t| {
                t.refers_to
                    .iter()
                    .all(|r| placed.contains(r) || !left.contains_key(r))
            })
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            return Err(DbErr::Custom(format!(
                "the foreign keys of {:?} form a cycle",
                left.keys().collect::<Vec<_>>()
            )));
        }
        for name in ready {
            if let Some(t) = left.remove(&name) {
                placed.insert(name);
                ordered.push(t);
            }
        }
    }
    Ok(ordered)
}

/// `s` as an SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// How many rows `table` holds.
pub async fn count(db: &Db, table: &str) -> Result<u64, DbErr> {
    let row = db
        .conn
        .query_one_raw(stmt(db, format!("SELECT COUNT(*) FROM {}", ident(table))))
        .await?
        .ok_or_else(|| DbErr::Custom("COUNT(*) returned no row".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?.max(0) as u64)
}

/// Every row of every table as text, sorted, by table: two databases of the same engine with
/// equal digests hold the same data. (Meant for comparing a backup with its original; the
/// text of a value differs between engines.)
pub async fn digest(db: &Db) -> Result<BTreeMap<String, Vec<String>>, DbErr> {
    let mut out = BTreeMap::new();
    for table in list(db).await? {
        let sql = match db.backend {
            Backend::Sqlite => {
                let cells: Vec<String> = table
                    .columns
                    .iter()
                    .map(|c| format!("quote({})", ident(c)))
                    .collect();
                format!(
                    "SELECT {} FROM {}",
                    cells.join(" || '|' || "),
                    ident(&table.name)
                )
            }
            Backend::Postgres => format!("SELECT t::text FROM {} AS t", ident(&table.name)),
        };
        let mut rows = db
            .conn
            .query_all_raw(stmt(db, sql))
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<String>(0))
            .collect::<Result<Vec<_>, _>>()?;
        rows.sort();
        out.insert(table.name, rows);
    }
    Ok(out)
}

/// Writes a consistent copy of the SQLite database `db` to `path` (`VACUUM INTO`), while
/// other connections keep reading and writing.
pub async fn sqlite_copy_to(db: &Db, path: &str) -> Result<(), DbErr> {
    if db.backend != Backend::Sqlite {
        return Err(DbErr::Custom("not an SQLite database".into()));
    }
    db.conn
        .execute_unprepared(&format!("VACUUM INTO {}", literal(path)))
        .await?;
    Ok(())
}

/// SQLite's verdict on the database file of `db`: `"ok"`, or what is damaged.
pub async fn sqlite_integrity(db: &Db) -> Result<String, DbErr> {
    let row = db
        .conn
        .query_one_raw(stmt(db, "PRAGMA integrity_check"))
        .await?
        .ok_or_else(|| DbErr::Custom("integrity_check returned no row".into()))?;
    row.try_get_by_index::<String>(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, refers_to: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![],
            refers_to: refers_to.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn parents_come_first() {
        let ordered = parents_first(vec![
            table("comment", &["post", "actor"]),
            table("post", &["actor"]),
            table("actor", &[]),
            table("like", &["comment", "post"]),
        ])
        .unwrap();
        let names: Vec<_> = ordered.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["actor", "post", "comment", "like"]);
    }

    #[test]
    fn a_cycle_is_an_error() {
        let e = parents_first(vec![table("a", &["b"]), table("b", &["a"])]).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
    }
}
