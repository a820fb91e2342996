import FuzzSupport

// A closure, not the function itself: passing the @_cdecl function would emit its C symbol twice.
fuzzMain { fuzzPriceResponse($0, $1) }
