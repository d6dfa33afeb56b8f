//! The `/v1` routes in the OpenAPI document.

use crate::openapi::OpenApiBuilder;

/// Documents the `/v1` routes of a server serving `models`.
pub(crate) fn add_to_openapi(_doc: &mut OpenApiBuilder, _agencies: &[crate::agency::SharedAgency]) {
}
