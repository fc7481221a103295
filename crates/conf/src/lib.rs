//! keepalived.conf, read the way keepalived 2.2.7 reads it, and explained better.
pub mod diag;
pub mod lexer;
pub mod reader;
pub mod tree;
pub mod unicode;
