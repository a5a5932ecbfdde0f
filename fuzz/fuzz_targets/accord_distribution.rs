#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| senderkeys::fuzzing::accord_distribution(data));
