//! Shared ownership and lazily computed values, as each target needs them: natively `Arc` and
//! `OnceLock`, so that trees, repositories and key caches move between threads (a Rust service
//! holds them in async tasks); in wasm32, where the package runs on one thread, `Rc` and
//! `OnceCell`, which need no atomic operations and make the module smaller.

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use std::sync::{Arc as Shared, OnceLock as Lazy};
#[cfg(target_arch = "wasm32")]
pub(crate) use std::{cell::OnceCell as Lazy, rc::Rc as Shared};
