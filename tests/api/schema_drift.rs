//! The SQLite and PostgreSQL migrations are written separately; this fails as soon as they
//! describe different schemas (tables, columns, types, nullability, indexes and whether they are
//! unique or partial).
use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Bool, Integer, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use pulse::db::Database;

use crate::databases::{PgTestDatabase, TestDatabase, postgres_required};

/// column name → (type family, NOT NULL)
type Columns = BTreeMap<String, (String, bool)>;

#[derive(Debug, Default, PartialEq)]
struct Schema {
    tables: BTreeMap<String, Columns>,
    /// index name → (table, unique, partial, columns in order); only explicitly created indexes,
    /// since the backends name the indexes behind PRIMARY KEY/UNIQUE constraints differently.
    indexes: BTreeMap<String, (String, bool, bool, String)>,
}

/// Both backends' spellings of one diesel type, reduced to one word.
fn type_family(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "int" | "int4" | "serial" => "integer".into(),
        "bigint" | "int8" | "bigserial" => "bigint".into(),
        "smallint" | "int2" => "smallint".into(),
        "text" | "varchar" | "character varying" => "text".into(),
        "timestamp" | "timestamp without time zone" | "datetime" => "timestamp".into(),
        "double precision" | "double" | "float8" => "double".into(),
        "real" | "float4" | "float" => "float".into(),
        other => other.into(),
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    is_unique: i32,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Integer)]
    partial: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    notnull: bool,
}

#[derive(QueryableByName)]
struct PgIndex {
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    partial: bool,
    #[diesel(sql_type = Text)]
    columns: String,
}

fn sqlite_schema(url: &str) -> Schema {
    let conn = &mut SqliteConnection::establish(url).unwrap();
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    let mut schema = Schema::default();
    for Name { name: table } in tables {
        let columns: Vec<SqliteColumn> = diesel::sql_query(
            "SELECT name, type AS declared, \"notnull\", pk FROM pragma_table_info(?)",
        )
        .bind::<Text, _>(&table)
        .load(conn)
        .unwrap();
        let columns = columns
            .into_iter()
            // PostgreSQL makes every primary-key column NOT NULL; so must SQLite's declaration
            // in effect (an INTEGER PRIMARY KEY is the rowid and can never be NULL).
            .map(|c| {
                (
                    c.name,
                    (type_family(&c.declared), c.notnull == 1 || c.pk > 0),
                )
            })
            .collect();
        let indexes: Vec<SqliteIndex> = diesel::sql_query(
            "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list(?)",
        )
        .bind::<Text, _>(&table)
        .load(conn)
        .unwrap();
        for index in indexes.into_iter().filter(|i| i.origin == "c") {
            let columns: Vec<Name> =
                diesel::sql_query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind::<Text, _>(&index.name)
                    .load(conn)
                    .unwrap();
            let columns: Vec<String> = columns.into_iter().map(|c| c.name).collect();
            schema.indexes.insert(
                index.name,
                (
                    table.clone(),
                    index.is_unique == 1,
                    index.partial == 1,
                    columns.join(","),
                ),
            );
        }
        schema.tables.insert(table, columns);
    }
    schema
}

fn pg_schema(url: &str) -> Schema {
    let conn = &mut PgConnection::establish(url).unwrap();
    let columns: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, \
                (is_nullable = 'NO') AS notnull \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    let mut schema = Schema::default();
    for c in columns {
        schema
            .tables
            .entry(c.table_name)
            .or_default()
            .insert(c.column_name, (type_family(&c.data_type), c.notnull));
    }
    let indexes: Vec<PgIndex> = diesel::sql_query(
        "SELECT i.relname::text AS index_name, t.relname::text AS table_name, \
                ix.indisunique AS is_unique, (ix.indpred IS NOT NULL) AS partial, \
                string_agg(a.attname::text, ',' ORDER BY k.ord) AS columns \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE n.nspname = 'public' AND t.relname <> '__diesel_schema_migrations' \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conindid = ix.indexrelid AND c.conrelid = t.oid \
                             AND c.contype IN ('p', 'u', 'x')) \
         GROUP BY i.relname, t.relname, ix.indisunique, ix.indpred IS NOT NULL",
    )
    .load(conn)
    .unwrap();
    for i in indexes {
        schema.indexes.insert(
            i.index_name,
            (i.table_name, i.is_unique, i.partial, i.columns),
        );
    }
    schema
}

#[test]
#[ignore = "PostgreSQL only: run with PULSE_TEST_POSTGRES set and `-- --include-ignored`"]
fn sqlite_and_postgres_migrations_describe_the_same_schema() {
    let server = postgres_required();
    let sqlite = TestDatabase::sqlite();
    Database::connect(sqlite.url()).unwrap().migrate().unwrap();
    let pg = PgTestDatabase::create(&server);
    Database::connect(&pg.url).unwrap().migrate().unwrap();

    let pg_url = pg.url.clone();
    let (sqlite, pg) = (sqlite_schema(sqlite.url()), pg_schema(&pg_url));
    assert!(
        sqlite.tables.contains_key("users"),
        "introspection found no tables"
    );
    let names = |s: &Schema| s.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&sqlite),
        names(&pg),
        "tables differ (sqlite left, postgres right)"
    );
    for (table, columns) in &sqlite.tables {
        assert_eq!(
            columns, &pg.tables[table],
            "columns of {table} differ: (type, NOT NULL) sqlite left, postgres right"
        );
    }
    assert_eq!(
        sqlite.indexes, pg.indexes,
        "indexes differ: (table, unique, partial, columns) sqlite left, postgres right"
    );

    // The comparison does see a drift: one nullable column too many on one side.
    PgConnection::establish(&pg_url)
        .unwrap()
        .batch_execute("ALTER TABLE users ADD COLUMN drifted TEXT")
        .unwrap();
    assert_ne!(sqlite, pg_schema(&pg_url));
}
