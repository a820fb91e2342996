public import Pricing

/// The query of `GET /v1/predict-price/{stockcode}`, validated into a sweep request.
///
/// Parameters (the reference article's names): `unitprice_min`, `unitprice_max`, `num_price_bins`
/// (default 100, 2…1000), `unit_cost`. A missing value means "default"; a present value must be a
/// finite number (integer for the bins), else 400 with a code naming the parameter.
public enum PredictPriceQuery {
    public static let parameters: Set<String> = ["unitprice_min", "unitprice_max", "num_price_bins", "unit_cost"]

    public static func request(stockcode: String, query: [(name: String, value: String)]) throws(APIError) -> SweepRequest {
        var values: [String: String] = [:]
        for (name, value) in query {
            guard parameters.contains(name) else {
                throw .badRequest("unknown_parameter", "unknown query parameter \(name); allowed: \(parameters.sorted().joined(separator: ", "))")
            }
            guard values[name] == nil else { throw .badRequest("duplicate_parameter", "query parameter \(name) is given twice") }
            values[name] = value
        }
        func number(_ name: String) throws(APIError) -> Double? {
            guard let text = values[name] else { return nil }
            let trimmed = text.trimmingWhitespace()
            // Decimal notation only: Swift's Double() would also read hex ("0x10") and "nan".
            guard trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }), let v = Double(trimmed), v.isFinite else {
                throw .badRequest("invalid_\(name)", "\(name) must be a finite number, got \"\(text)\"")
            }
            return v
        }
        var bins = SweepRequest.defaultBins
        if let text = values["num_price_bins"] {
            guard let b = Int(text.trimmingWhitespace()) else {
                throw .badRequest("invalid_num_price_bins", "num_price_bins must be an integer, got \"\(text)\"")
            }
            bins = b
        }
        let request = SweepRequest(stockcode: stockcode, minPrice: try number("unitprice_min"), maxPrice: try number("unitprice_max"),
                                   bins: bins, unitCost: try number("unit_cost"))
        do {
            try request.validate()
        } catch {
            throw APIError(sweep: error)
        }
        return request
    }
}

extension APIError {
    /// The API's answer to a sweep that could not be computed.
    public init(sweep error: SweepError) {
        switch error {
        case .unknownProduct: self.init(status: 404, code: "unknown_stockcode", message: error.description)
        case .invalidBins: self.init(status: 400, code: "invalid_num_price_bins", message: error.description)
        case .invalidPrice(let name, _):
            self.init(status: 400, code: name == "min price" ? "invalid_unitprice_min" : "invalid_unitprice_max", message: error.description)
        case .emptyRange: self.init(status: 400, code: "empty_price_range", message: error.description)
        case .invalidUnitCost: self.init(status: 400, code: "invalid_unit_cost", message: error.description)
        case .noModelAnswered: self.init(status: 503, code: "no_model_available", message: error.description)
        case .artifact: self.init(status: 500, code: "artifact_error", message: error.description)
        }
    }
}
