//! Migrations are all or nothing: when one fails, the database is exactly as it was before the
//! upgrade began, on SQLite too (whose DDL sea-orm-migration would otherwise run without a
//! transaction, leaving half a schema behind).

use enishi_db::{Db, tables};
use enishi_migrations::{
    DbErr, DeriveMigrationName, MigrationTrait, MigratorTrait, SchemaManager, Table,
};
use enishi_testkit::TestDb;
use sea_orm::ConnectionTrait;
use sea_orm_migration::schema::{integer, pk_auto};

enishi_testkit::main!(db: [
    a_failed_upgrade_leaves_the_database_as_it_was,
    a_failed_first_migration_leaves_an_empty_database,
]);

/// A later version's first step: a table of its own, which must not survive the failure.
#[derive(DeriveMigrationName)]
struct AddsATable;

#[async_trait::async_trait]
impl MigrationTrait for AddsATable {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("future_feature")
                    .col(pk_auto("id"))
                    .col(integer("n"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO future_feature (n) VALUES (1)")
            .await?;
        // And a change to an existing table's rows.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM instance_setting")
            .await?;
        Ok(())
    }
}

/// Its second step, which fails half way through.
#[derive(DeriveMigrationName)]
struct FailsHalfWay;

#[async_trait::async_trait]
impl MigrationTrait for FailsHalfWay {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("CREATE TABLE half_made (id integer)")
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO no_such_table (x) VALUES (1)")
            .await?;
        Ok(())
    }
}

/// This build's migrations followed by the failing upgrade.
struct Upgrade;

impl MigratorTrait for Upgrade {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = enishi_migrations::Migrator::migrations();
        all.push(Box::new(AddsATable));
        all.push(Box::new(FailsHalfWay));
        all
    }
}

/// Only the failing upgrade, on an empty database.
struct OnlyFailing;

impl MigratorTrait for OnlyFailing {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(AddsATable), Box::new(FailsHalfWay)]
    }
}

/// The schema (tables and their columns) and every row.
async fn everything(db: &Db) -> anyhow::Result<String> {
    let schema: Vec<String> = tables::list(db)
        .await?
        .into_iter()
        .map(|t| format!("{}({})", t.name, t.columns.join(",")))
        .collect();
    Ok(format!("{schema:?}\n{:?}", tables::digest(db).await?))
}

async fn a_failed_upgrade_leaves_the_database_as_it_was(t: TestDb) -> anyhow::Result<()> {
    let db = enishi_db::connect(&t.url, 1).await?;
    enishi_db::migrate(&db).await?;
    db.conn
        .execute_unprepared(
            "INSERT INTO instance_setting (key, value) VALUES ('domain', 'example.test')",
        )
        .await?;
    let before = everything(&db).await?;
    let failed = enishi_db::migrate_with::<Upgrade>(&db).await;
    anyhow::ensure!(failed.is_err(), "the upgrade must fail: {failed:?}");
    let after = everything(&db).await?;
    anyhow::ensure!(
        before == after,
        "the failed upgrade changed the database:\nbefore {before}\nafter {after}"
    );
    anyhow::ensure!(
        enishi_db::pending_migrations(&db).await? == 0,
        "this build's migrations are still all applied"
    );
    // The database still works for this version.
    enishi_db::migrate(&db).await?;
    Ok(())
}

async fn a_failed_first_migration_leaves_an_empty_database(t: TestDb) -> anyhow::Result<()> {
    let db = enishi_db::connect(&t.url, 1).await?;
    let failed = enishi_db::migrate_with::<OnlyFailing>(&db).await;
    anyhow::ensure!(failed.is_err(), "the migration must fail: {failed:?}");
    let left = tables::list(&db).await?;
    anyhow::ensure!(
        left.is_empty(),
        "tables left behind: {:?}",
        left.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    Ok(())
}
