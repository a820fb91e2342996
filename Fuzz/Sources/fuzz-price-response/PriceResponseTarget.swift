import ArtifactFormats
import FuzzSupport

/// price_response.safetensors (PriceResponseTable). The first byte gives the product count `P`
/// (low 2 bits) and the draw count `S` (next 2 bits, plus 1) the table is read against; the rest is
/// the file. Properties:
/// - a table loads or is refused with an ``ArtifactError`` naming the file;
/// - a loaded table answers exactly products 0..<P, each with S finite draws, a finite reference
///   price, positive current price and price ratio, and a support range 0 < lo <= hi.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPriceResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let first = input.first else { return 0 }
    let products = Int(first & 3)
    let draws = Int(first >> 2 & 3) + 1
    let table: PriceResponseTable
    do {
        table = try PriceResponseTable(bytes: Array(input.dropFirst()), file: "price_response.safetensors", products: products, draws: draws)
    } catch {
        require(error.file == "price_response.safetensors", "error names \(error.file)")
        return 0
    }
    require(table.count == products && table.draws == draws, "table of \(table.count)x\(table.draws), read as \(products)x\(draws)")
    require(table.product(-1) == nil && table.product(products) == nil, "a product outside 0..<\(products)")
    for index in 0..<products {
        guard let product = table.product(index) else { require(false, "product \(index) missing"); continue }
        require(product.drawCount == draws && product.draws.allSatisfy(\.isFinite), "product \(index): draws \(Array(product.draws))")
        require(product.referenceLogPrice.isFinite && product.currentPrice.isFinite && product.currentPrice > 0
                && product.realizedPriceRatio.isFinite && product.realizedPriceRatio > 0,
                "product \(index): \(product)")
        require(product.supportLow > 0 && product.supportLow <= product.supportHigh && product.supportHigh.isFinite,
                "product \(index): support \(product.supportLow)...\(product.supportHigh)")
    }
    return 0
}
