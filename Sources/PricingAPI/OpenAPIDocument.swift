/// The API described as OpenAPI 3.1, served at `/openapi.json`.
///
/// The document is the JSON file `OpenAPI/openapi.json`, compiled into the binary at build time
/// (Package.swift: `.embedInCode`), so an installed binary needs no resource bundle beside it. Parameters,
/// headers, schemas and error responses are stated once under `components` and referenced with `$ref`.
/// Tests check real responses against it and that every route and JSON field the service emits is in it,
/// and Schemathesis checks the release server against it (`make test-api`), so this file and the
/// behaviour cannot drift apart silently.
public enum OpenAPIDocument {
    /// The document as served, byte for byte the file.
    public static let bytes: [UInt8] = PackageResources.openapi_json
}
