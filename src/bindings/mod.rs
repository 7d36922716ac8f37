//! The JavaScript face of atproof (wasm-bindgen). The only module that knows about JS.
