//! Open311 GeoReport v2 in XML, the format the specification lists first and older clients ask
//! for: the same services, definitions and requests as the `.json` routes, element for element in
//! the specification's order. Errors stay problem+json, as everywhere in this API.

use actix_web::{HttpRequest, HttpResponse, get, post, web};

use super::open311::{
    self, CreatedRequest, RequestsQuery, Service, ServiceDefinition, ServiceRequest, create, load_definition,
    load_request, load_requests, load_services,
};
use crate::error::ApiError;
use crate::limits::RateLimited;
use crate::state::AppState;
use crate::text::xml_escape;

const CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// A document under construction: elements in order, text escaped.
struct Xml(String);

impl Xml {
    fn new(root: &str) -> Self {
        Self(format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{root}>"))
    }

    fn open(&mut self, tag: &str) -> &mut Self {
        self.0.push_str(&format!("<{tag}>"));
        self
    }

    fn close(&mut self, tag: &str) -> &mut Self {
        self.0.push_str(&format!("</{tag}>"));
        self
    }

    /// An element with text; an absent value is an empty element.
    fn leaf(&mut self, tag: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(text) => self.0.push_str(&format!("<{tag}>{}</{tag}>", xml_escape(text))),
            None => self.0.push_str(&format!("<{tag}/>")),
        }
        self
    }

    fn text(&mut self, tag: &str, value: &str) -> &mut Self {
        self.leaf(tag, Some(value))
    }

    fn finish(mut self, root: &str) -> String {
        self.0.push_str(&format!("</{root}>\n"));
        self.0
    }
}

fn services_xml(services: &[Service]) -> String {
    let mut xml = Xml::new("services");
    for s in services {
        xml.open("service")
            .text("service_code", &s.service_code)
            .text("service_name", &s.service_name)
            .text("description", &s.description)
            .text("metadata", if s.metadata { "true" } else { "false" })
            .text("type", &s.service_type)
            .text("keywords", &s.keywords)
            .text("group", &s.group)
            .close("service");
    }
    xml.finish("services")
}

fn definition_xml(definition: &ServiceDefinition) -> String {
    let mut xml = Xml::new("service_definition");
    xml.text("service_code", &definition.service_code).open("attributes");
    for a in &definition.attributes {
        xml.open("attribute")
            .text("variable", if a.variable { "true" } else { "false" })
            .text("code", &a.code)
            .text("datatype", &a.datatype)
            .text("required", if a.required { "true" } else { "false" })
            .text("datatype_description", &a.datatype_description)
            .text("order", &a.order.to_string())
            .text("description", &a.description)
            .open("values");
        for v in &a.values {
            xml.open("value").text("key", &v.key).text("name", &v.name).close("value");
        }
        xml.close("values").close("attribute");
    }
    xml.close("attributes");
    xml.finish("service_definition")
}

fn requests_xml(requests: &[ServiceRequest]) -> String {
    let time = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut xml = Xml::new("service_requests");
    for r in requests {
        xml.open("request")
            .text("service_request_id", &r.service_request_id)
            .text("status", &r.status)
            .leaf("status_notes", r.status_notes.as_deref())
            .text("service_name", &r.service_name)
            .text("service_code", &r.service_code)
            .text("description", &r.description)
            .text("agency_responsible", &r.agency_responsible)
            .text("service_notice", &r.service_notice)
            .text("requested_datetime", &time(&r.requested_datetime))
            .leaf("updated_datetime", r.updated_datetime.as_ref().map(time).as_deref())
            .leaf("expected_datetime", r.expected_datetime.as_ref().map(time).as_deref())
            .leaf("address", r.address.as_deref())
            .leaf("media_url", r.media_url.as_deref())
            .close("request");
    }
    xml.finish("service_requests")
}

fn created_xml(created: &CreatedRequest) -> String {
    let mut xml = Xml::new("service_requests");
    xml.open("request")
        .text("service_request_id", &created.service_request_id)
        .text("service_notice", &created.service_notice)
        .text("token", &created.token)
        .close("request");
    xml.finish("service_requests")
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(body)
}

/// The services (feedback topics), as GeoReport v2 XML.
#[utoipa::path(
    tag = "open311",
    responses((status = 200, description = "The services (`<services>`)", content_type = "application/xml", body = String))
)]
#[get("/services.xml")]
pub async fn services_as_xml(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(xml(services_xml(&load_services(&state).await?)))
}

/// A service definition, as GeoReport v2 XML.
#[utoipa::path(
    tag = "open311",
    params(("code" = String, Path, description = "The service code")),
    responses(
        (status = 200, description = "The definition (`<service_definition>`)", content_type = "application/xml", body = String),
        (status = 404, description = "No such service"),
    )
)]
#[get("/services/{code}.xml")]
pub async fn service_definition_as_xml(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(xml(definition_xml(&load_definition(&state, code.into_inner()).await?)))
}

/// Service requests (published submissions), as GeoReport v2 XML.
#[utoipa::path(
    tag = "open311",
    params(RequestsQuery),
    responses((status = 200, description = "The requests (`<service_requests>`)", content_type = "application/xml", body = String))
)]
#[get("/requests.xml")]
pub async fn requests_as_xml(
    state: web::Data<AppState>,
    query: crate::http::ApiQuery<RequestsQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(xml(requests_xml(&load_requests(&state, query.0).await?)))
}

/// One service request by its id (tracking code), if published, as GeoReport v2 XML.
#[utoipa::path(
    tag = "open311",
    params(("id" = String, Path, description = "The service request id (tracking code)")),
    responses(
        (status = 200, description = "A one-request `<service_requests>`", content_type = "application/xml", body = String),
        (status = 404, description = "No such published request"),
    )
)]
#[get("/requests/{id}.xml")]
pub async fn request_as_xml(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(xml(requests_xml(&load_request(&state, id.into_inner()).await?)))
}

/// Create a service request, answered in GeoReport v2 XML (see `POST /open311/v2/requests.json`).
#[utoipa::path(
    tag = "open311",
    request_body(content = open311::NewServiceRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Created: a one-request `<service_requests>` with its id and token", content_type = "application/xml", body = String),
        (status = 422, description = "Invalid fields"),
        (status = 429, description = "Too many submissions from this address"),
    )
)]
#[post("/requests.xml")]
pub async fn create_request_as_xml(
    state: web::Data<AppState>,
    limit: RateLimited,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let created = create(state, limit, &req, &body).await?;
    Ok(HttpResponse::Created().content_type(CONTENT_TYPE).body(created_xml(&created)))
}
