//! Facets: the counts per category, field or site of what a search's page is drawn from,
//! gathered in the search's one pass (ids), named from the database when asked for.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Kind;
use super::collect;
use crate::error::ApiError;
use crate::http::params::bad_parameter;
use crate::{db, sites};

/// How many things found have one value of a facet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FacetValue {
    /// The value as the filter takes it: a category's slug, a field's code, a site's code.
    pub value: String,
    pub name: String,
    pub count: u64,
}

/// The counts asked for with `facets`, most first.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct SearchFacets {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<FacetValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Vec<FacetValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<Vec<FacetValue>>,
}

/// The facets a search asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FacetsWanted {
    pub category: bool,
    pub field: bool,
    pub site: bool,
}

impl FacetsWanted {
    pub fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        let mut wanted = Self::default();
        for name in value.unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "category" => wanted.category = true,
                "field" => wanted.field = true,
                "site" => wanted.site = true,
                other => {
                    return Err(bad_parameter(
                        "facets",
                        "invalid_value",
                        format!("`{other}` is not a facet; use category, field or site"),
                    ));
                }
            }
        }
        Ok(wanted)
    }

    pub fn any(self) -> bool {
        self.category || self.field || self.site
    }

    /// The counts gathered, with the names of what they count, most first.
    pub fn name(self, conn: &mut db::DbConn, gathered: &collect::Gathered) -> diesel::QueryResult<SearchFacets> {
        let per_group = |kinds: &[Kind]| {
            let mut counts: HashMap<i64, u64> = HashMap::new();
            for ((kind, group), n) in &gathered.groups {
                if kinds.iter().any(|k| k.code() == *kind) {
                    *counts.entry(*group as i64).or_default() += n;
                }
            }
            counts
        };
        let mut out = SearchFacets::default();
        if self.category {
            let counts = per_group(&[Kind::Article]);
            let categories = crate::categories::list_all(conn, None)?;
            out.category = Some(counted(&counts, categories.into_iter().map(|c| (c.id, c.slug, c.name))));
        }
        if self.field {
            let counts = per_group(&[Kind::Procedure, Kind::Question]);
            let fields = crate::fields::by_ids(conn, counts.keys().copied().collect())?;
            out.field = Some(counted(&counts, fields.into_values().map(|f| (f.id, f.code, f.name))));
        }
        if self.site {
            let counts: HashMap<i64, u64> = gathered.sites.iter().map(|(id, n)| (*id as i64, *n)).collect();
            let sites = sites::refs_by_id(conn, counts.keys().copied().collect())?;
            out.site = Some(counted(&counts, sites.into_values().map(|s| (s.id, s.code, s.name))));
        }
        Ok(out)
    }
}

/// The values counted, as (id, value, name), with their counts, most first (those not counted left out).
fn counted(counts: &HashMap<i64, u64>, values: impl Iterator<Item = (i64, String, String)>) -> Vec<FacetValue> {
    let mut out: Vec<FacetValue> =
        values.filter_map(|(id, value, name)| Some(FacetValue { count: *counts.get(&id)?, value, name })).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}
