#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| senderkeys::testing::fuzz::accord_distribution(data));
