DROP TABLE questions;
DROP TABLE fields;
