// The migrations are embedded at build time: a new migration directory must rebuild the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
