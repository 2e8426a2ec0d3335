// The demo service entry point; filled in by the service area.
export {};
