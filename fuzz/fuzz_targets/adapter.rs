#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sksim::fuzzing::adapter(data));
