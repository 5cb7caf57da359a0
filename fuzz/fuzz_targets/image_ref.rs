#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| driftls::fuzzing::run("image_ref", data));
