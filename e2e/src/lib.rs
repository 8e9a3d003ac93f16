//! End-to-end tests of the SPA live in `tests/browser.rs`: a real API on a throwaway database
//! with the demo data, the built SPA from `web/dist`, and headless Chromium via ChromeDriver.
