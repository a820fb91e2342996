/// The shape of an HTTP event and of the answer Lambda's caller expects back.
public enum PayloadFormat: String, Sendable, Equatable {
    /// API Gateway REST APIs (and HTTP APIs set to payload 1.0): `httpMethod`, `path`,
    /// `multiValueHeaders`, `multiValueQueryStringParameters`; answered with `statusCode`, `headers`,
    /// `multiValueHeaders`, `body`, `isBase64Encoded`.
    case v1 = "1.0"
    /// API Gateway HTTP APIs and Lambda function URLs: `version: "2.0"`, `rawPath`,
    /// `rawQueryString`, comma-joined `headers`, `cookies`, `requestContext.http.method`; answered with
    /// `statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded`.
    case v2 = "2.0"
}
