// How the dashboard writes numbers: prices, amounts, units, gains, percentages, probabilities.

const priceFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 3 });
const amountFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const quantityFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });
const signFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percentFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/// A price without the currency sign: "2.95", "12.345".
export const plainPrice = (v) => priceFormat.format(v);
/// A price: "£2.95", "−£0.125".
export const money = (v) => (v < 0 ? '\u2212\u00a3' : '\u00a3') + priceFormat.format(Math.abs(v));
/// An amount of money: "£1,234.50".
export const amount = (v) => (v < 0 ? '\u2212\u00a3' : '\u00a3') + amountFormat.format(Math.abs(v));
/// Units, to one decimal: "12.3".
export const units = (v) => quantityFormat.format(v);
/// A finite number (the fields an older server does not send are undefined; a server may send null).
export const num = (v) => typeof v === 'number' && Number.isFinite(v);
/// A gain: "+£1.20", "−£0.35", "£0.00".
export const signedAmount = (v) => {
  const text = amountFormat.format(Math.abs(v));
  return text === '0.00' ? '\u00a30.00' : (v < 0 ? '\u2212\u00a3' : '+\u00a3') + text;
};
/// A fraction as a signed percentage: 0.0512 is "+5.1%".
export const signedPercent = (f) => {
  const text = percentFormat.format(Math.abs(f * 100));
  return (text === '0.0' ? '' : f < 0 ? '\u2212' : '+') + text + '%';
};
/// A probability as a whole percentage, never rounding a possibility away: "<1%", "63%", ">99%".
export const chance = (p) => (p > 0 && p < 0.005 ? '<1%' : p < 1 && p >= 0.995 ? '>99%' : Math.round(p * 100) + '%');
/// An elasticity: "−1.84".
export const signed = (v) => {
  const text = signFormat.format(Math.abs(v));
  return (text === '0.00' || v >= 0 ? '' : '\u2212') + text;
};
/// An axis number, short: "1.2M", "45k", "12.50".
export function compact(v, decimals) {
  const abs = Math.abs(v);
  if (abs >= 1e6) return (v / 1e6).toFixed(abs >= 1e7 ? 0 : 1) + 'M';
  if (abs >= 1e4) return (v / 1e3).toFixed(abs >= 1e5 ? 0 : 1) + 'k';
  return v.toFixed(decimals);
}
