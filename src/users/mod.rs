//! Staff accounts, managed by admins. A site-bound admin manages only the accounts of its site.

mod handlers;
pub mod model;
pub mod repo;

use utoipa_actix_web::service_config::ServiceConfig;

pub use handlers::{create_user, get_user, list_users, reset_password, update_user};

/// Accounts as sign-in, the CLI and other resources use them.
pub use repo::{
    NewUser, count_users, display_names, find_user, find_user_by_email, find_user_row, insert_user, set_password_hash,
    touch_last_login,
};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users).service(create_user).service(get_user).service(update_user).service(reset_password);
}
