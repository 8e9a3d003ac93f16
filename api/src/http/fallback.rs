//! What answers when no route matched: a 405 problem with `Allow` when the path exists with
//! other methods (known from the OpenAPI document), the SPA's files and client-side routes for
//! browser GETs, and a 404 problem for everything else.

use std::path::{Component, Path, PathBuf};

use actix_files::NamedFile;
use actix_router::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// The documented paths and their methods.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let ops = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                for (method, present) in ops {
                    if present {
                        methods.push(method);
                    }
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods documented for `path`, if it is a documented path.
    pub fn methods_for(&self, path: &str) -> Option<&[Method]> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// The built SPA, when there is one.
pub struct SpaFiles {
    pub dir: Option<PathBuf>,
}

const SERVER_PREFIXES: [&str; 4] = ["/api/", "/api-docs", "/health", "/swagger-ui"];

pub async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
    spa: web::Data<SpaFiles>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if let Some(methods) = routes.methods_for(path) {
        return Err(ApiError::MethodNotAllowed {
            method: req.method().clone(),
            allow: methods.to_vec(),
        });
    }
    let is_server_path = path == "/api" || SERVER_PREFIXES.iter().any(|p| path.starts_with(p));
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    if let (false, true, Some(dir)) = (is_server_path, is_read, spa.dir.as_deref()) {
        return serve_spa(&req, dir);
    }
    Err(ApiError::NotFound(format!(
        "there is no endpoint at {path}; see /swagger-ui/ for the API"
    )))
}

/// A file of the SPA, or `index.html` for the SPA's own routes (`/users`, `/login`).
fn serve_spa(req: &HttpRequest, dir: &Path) -> Result<HttpResponse, ApiError> {
    let relative = req.path().trim_start_matches('/');
    let candidate = safe_join(dir, relative).filter(|p| p.is_file());
    let file = candidate.unwrap_or_else(|| dir.join("index.html"));
    let named = NamedFile::open(&file)
        .map_err(|_| ApiError::NotFound("the web app is not built; run cargo xtask web".into()))?;
    let mut res = named.use_etag(true).into_response(req);
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-cache"),
    );
    Ok(res)
}

/// `dir/relative` when `relative` stays inside `dir` (no `..`, no absolute parts).
fn safe_join(dir: &Path, relative: &str) -> Option<PathBuf> {
    if relative.is_empty() {
        return None;
    }
    let rel = Path::new(relative);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_of_the_spa_folder_are_refused() {
        let dir = Path::new("/srv/spa");

        assert_eq!(safe_join(dir, "../etc/passwd"), None);
        assert_eq!(safe_join(dir, "a/../../b"), None);
        assert_eq!(safe_join(dir, "hms-web.js"), Some(dir.join("hms-web.js")));
    }

    #[test]
    fn documented_templates_match_concrete_paths() {
        let table = RouteTable {
            routes: vec![(
                ResourceDef::new("/api/v1/users/{id}"),
                vec![Method::GET, Method::PATCH],
            )],
        };

        assert_eq!(
            table.methods_for("/api/v1/users/42"),
            Some(&[Method::GET, Method::PATCH][..])
        );
        assert_eq!(table.methods_for("/api/v1/users/42/x"), None);
    }
}
