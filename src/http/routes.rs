//! The documented routes as a table: 404/405 for the rest, and the refusal of query parameters a
//! route does not take.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, FieldError};

/// The application's default service: 405 with `Allow` when the path exists under another method,
/// otherwise 404.
pub async fn fallback(req: HttpRequest, routes: web::Data<RouteTable>) -> Result<HttpResponse, ApiError> {
    let allowed = routes.methods_for(req.path());
    Err(if allowed.is_empty() {
        ApiError::NotFound(format!("No resource exists at {}.", req.path()))
    } else {
        ApiError::MethodNotAllowed {
            detail: format!("{} does not accept {}; it accepts {}.", req.path(), req.method(), allowed.join(", ")),
            allow: allowed.join(", "),
        }
    })
}

/// Every documented path, its methods, and the query parameters each method takes.
pub struct RouteTable {
    routes: Vec<(actix_router::ResourceDef, Vec<MethodParams>)>,
}

/// A method and the names of the query parameters it takes.
type MethodParams = (String, Vec<String>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = crate::openapi::query_parameters_of(item);
                if let Some((_, params)) = methods.iter().find(|(m, _)| m == "GET") {
                    let params = params.clone();
                    methods.push(("HEAD".into(), params));
                }
                methods.sort();
                (actix_router::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self { routes }
    }

    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let mut methods: Vec<String> = self
            .routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, m)| m.iter().map(|(method, _)| method.clone()))
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }

    /// The query parameters a documented route takes, or `None` for routes outside the document.
    pub fn query_parameters(&self, method: &str, path: &str) -> Option<&[String]> {
        self.routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, methods)| methods.iter())
            .find(|(m, _)| m == method)
            .map(|(_, params)| params.as_slice())
    }
}

/// Refuses (400) query parameters that the OpenAPI document does not list for the route, so that a
/// typo in a filter is an error rather than an unfiltered answer, on every endpoint alike.
pub async fn query_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(error) = unknown_query_parameter(&req) {
        // A response, not an error, so that the layers around add their headers to it.
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn unknown_query_parameter(req: &ServiceRequest) -> Option<ApiError> {
    if req.query_string().is_empty() {
        return None;
    }
    let routes = req.app_data::<web::Data<RouteTable>>()?;
    let allowed = routes.query_parameters(req.method().as_str(), req.path())?;
    let name = req
        .query_string()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split('=').next().unwrap_or(""))
        .find(|name| !allowed.iter().any(|a| a == name))?;
    let name = percent_decode(name);
    let error = FieldError::new(name.clone(), "unknown_parameter", "is not a parameter of this endpoint");
    let detail = if allowed.is_empty() {
        format!("This endpoint takes no query parameters; `{name}` was given.")
    } else {
        format!("`{name}` is not a parameter of this endpoint; it takes {}.", allowed.join(", "))
    };
    Some(ApiError::BadRequestFields { detail, errors: vec![error] })
}

fn percent_decode(text: &str) -> String {
    serde_html_form::from_str::<Vec<(String, String)>>(&format!("{text}="))
        .ok()
        .and_then(|pairs| pairs.into_iter().next().map(|(k, _)| k))
        .unwrap_or_else(|| text.to_owned())
}
