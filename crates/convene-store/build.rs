//! The migrations are embedded by `sqlx::migrate!` at compile time; without
//! this, adding a migration file alone would not rebuild the crate and the
//! binary would run without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
