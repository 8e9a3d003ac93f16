//! Raw SQL that PostgreSQL keeps prepared on each connection.
//!
//! Diesel never caches `sql_query` statements: each execution is parsed, analysed and planned
//! again. `cargo xtask bench` found that planning alone took a quarter of the machine's CPU
//! while writes ran (docs/performance.md, finding 10). [`prepared`] builds the same kind of
//! statement, with the same `.bind::<Type, _>(value)` chain, that Diesel's statement cache keeps
//! by its SQL text: parsed once per connection, and planned once when PostgreSQL's plan cache
//! finds a generic plan as good as a custom one.
//!
//! For statements whose best plan does not depend on the values: reads by id, locks, inserts.
//! Statements with optional filters (`$n IS NULL OR …`) or prefix patterns stay `sql_query`, so
//! they are always planned for their values.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A raw SQL statement kept prepared (see the module documentation).
pub fn prepared(sql: impl Into<String>) -> Prepared {
    Prepared(sql.into())
}

#[derive(Debug, Clone)]
pub struct Prepared(String);

impl Prepared {
    /// Binds the value of the next `$n` placeholder, as `SqlQuery::bind` does.
    pub fn bind<ST, V>(self, value: V) -> Bound<Self, V, ST> {
        Bound::new(self, value)
    }
}

impl QueryFragment<Pg> for Prepared {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(&self.0);
        Ok(())
    }
}

impl QueryId for Prepared {
    type QueryId = ();
    // No static id: Diesel's cache keys the statement by its SQL text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Prepared {}

/// A [`Prepared`] statement with values bound.
#[derive(Debug, Clone)]
pub struct Bound<Q, V, ST> {
    query: Q,
    value: V,
    _type: std::marker::PhantomData<ST>,
}

impl<Q, V, ST> Bound<Q, V, ST> {
    fn new(query: Q, value: V) -> Self {
        Bound {
            query,
            value,
            _type: std::marker::PhantomData,
        }
    }

    /// Binds the value of the next `$n` placeholder.
    pub fn bind<ST2, V2>(self, value: V2) -> Bound<Self, V2, ST2> {
        Bound::new(self, value)
    }
}

impl<Q, V, ST> QueryFragment<Pg> for Bound<Q, V, ST>
where
    Q: QueryFragment<Pg>,
    V: ToSql<ST, Pg>,
    Pg: HasSqlType<ST>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_bind_param_value_only(&self.value)
    }
}

impl<Q: QueryId, V, ST: QueryId> QueryId for Bound<Q, V, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, V, ST> Query for Bound<Q, V, ST> {
    type SqlType = Untyped;
}

impl<Conn, Q, V, ST> RunQueryDsl<Conn> for Bound<Q, V, ST> {}
