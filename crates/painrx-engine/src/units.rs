//! Turning a dose in mg into the tablets, capsules or millilitres that exist: the fewest whole
//! units of the strengths a product line comes in, halves only of scored tablets, and a liquid
//! only where solids cannot make the dose.

use painrx_kb::id::ProductId;
use painrx_kb::monograph::Monograph;
use painrx_kb::vocab::{Form, Release, Route};
use serde::Serialize;

/// Work in hundredths of a milligram so 12.5 and 82.5 mg are exact integers.
const SCALE: f64 = 100.0;

/// Units of one strength in a dose: `count` × `strength_mg`. For a liquid, `strength_mg` is the
/// concentration in mg/mL and `count` the volume in mL.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unit {
    pub strength_mg: f64,
    pub form: Form,
    pub count: f64,
    pub product: ProductId,
}

impl Unit {
    pub fn mg(&self) -> f64 {
        self.strength_mg * self.count
    }
}

#[derive(Clone, Debug)]
struct Piece {
    /// Dose of one piece, in hundredths of a mg.
    centi_mg: u64,
    strength_mg: f64,
    form: Form,
    /// 1.0 for a whole unit, 0.5 for half a scored tablet.
    count: f64,
    product: ProductId,
    /// Cost in the "fewest units" sense: whole 100, half 101 (prefer whole units).
    cost: u64,
}

#[derive(Clone, Debug)]
struct Liquid {
    mg_per_ml: f64,
    product: ProductId,
}

/// The units one product line offers (all products of the same route and release).
#[derive(Clone, Debug)]
pub struct Formulary {
    pieces: Vec<Piece>,
    liquid: Option<Liquid>,
    grain: u64,
    /// Fewest-units table in grains, grown on demand: (cost, piece index) per amount.
    table: std::cell::RefCell<Vec<Option<(u64, usize)>>>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn centi(mg: f64) -> Option<u64> {
    let scaled = (mg * SCALE).round();
    ((mg * SCALE - scaled).abs() < 1e-6 && (0.0..1e12).contains(&scaled)).then_some(scaled as u64)
}

impl Formulary {
    /// The formulary of a drug's product line: the products that share the route and release of
    /// `product` (or of the first immediate-release product).
    pub fn for_product(m: &Monograph, product: Option<&str>) -> Formulary {
        let anchor = product
            .and_then(|p| m.front.products.iter().find(|x| x.id == p))
            .or_else(|| {
                m.front
                    .products
                    .iter()
                    .find(|p| p.release == Release::Immediate && p.route == Route::Oral)
            })
            .or_else(|| m.front.products.first());
        let mut pieces = Vec::new();
        let mut liquid = None;
        if let Some(anchor) = anchor {
            for p in m
                .front
                .products
                .iter()
                .filter(|p| p.route == anchor.route && p.release == anchor.release)
            {
                if let Some(concentration) = p.concentration_mg_per_ml {
                    if liquid.is_none() && concentration.get() > 0.0 {
                        liquid = Some(Liquid {
                            mg_per_ml: concentration.get(),
                            product: p.id.clone(),
                        });
                    }
                    continue;
                }
                for strength in &p.strengths_mg {
                    let s = strength.get();
                    if let Some(c) = centi(s).filter(|c| *c > 0) {
                        pieces.push(Piece {
                            centi_mg: c,
                            strength_mg: s,
                            form: p.form,
                            count: 1.0,
                            product: p.id.clone(),
                            cost: 100,
                        });
                        if p.scored {
                            if let Some(h) = centi(s / 2.0).filter(|h| *h > 0) {
                                pieces.push(Piece {
                                    centi_mg: h,
                                    strength_mg: s,
                                    form: p.form,
                                    count: 0.5,
                                    product: p.id.clone(),
                                    cost: 101,
                                });
                            }
                        }
                    }
                }
            }
        }
        pieces.sort_by(|a, b| b.centi_mg.cmp(&a.centi_mg).then(a.cost.cmp(&b.cost)));
        let grain = pieces.iter().fold(0, |g, p| gcd(g, p.centi_mg));
        Formulary {
            pieces,
            liquid,
            grain,
            table: std::cell::RefCell::new(vec![Some((0, usize::MAX))]),
        }
    }

    /// True when the line has no solid units and no liquid.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty() && self.liquid.is_none()
    }

    /// The smallest solid piece (a whole unit or half of a scored tablet), in mg.
    pub fn smallest_mg(&self) -> Option<f64> {
        self.pieces
            .iter()
            .map(|p| p.centi_mg)
            .min()
            .map(|c| c as f64 / SCALE)
    }

    pub fn has_liquid(&self) -> bool {
        self.liquid.is_some()
    }

    /// The fewest solid pieces that make exactly `mg`, or `None`.
    pub fn solid(&self, mg: f64) -> Option<Vec<Unit>> {
        let target = centi(mg)?;
        if target == 0 {
            return Some(Vec::new());
        }
        if self.grain == 0 || target % self.grain != 0 {
            return None;
        }
        let cells = usize::try_from(target / self.grain).ok()?;
        if cells > 200_000 {
            return None;
        }
        self.grow(cells);
        let best = self.table.borrow();
        // Walk back.
        let mut units: Vec<Unit> = Vec::new();
        let mut v = cells;
        while v > 0 {
            let (_, i) = (*best.get(v)?)?;
            let piece = self.pieces.get(i)?;
            let size = usize::try_from(piece.centi_mg / self.grain).ok()?;
            match units
                .iter_mut()
                .find(|u| u.strength_mg == piece.strength_mg && u.product == piece.product)
            {
                Some(u) => u.count += piece.count,
                None => units.push(Unit {
                    strength_mg: piece.strength_mg,
                    form: piece.form,
                    count: piece.count,
                    product: piece.product.clone(),
                }),
            }
            v -= size;
        }
        units.sort_by(|a, b| b.strength_mg.total_cmp(&a.strength_mg));
        Some(units)
    }

    /// Extend the fewest-units table (unbounded knapsack on cost) to `cells` grains.
    fn grow(&self, cells: usize) {
        let mut best = self.table.borrow_mut();
        for v in best.len()..=cells {
            let mut entry: Option<(u64, usize)> = None;
            for (i, piece) in self.pieces.iter().enumerate() {
                let Ok(size) = usize::try_from(piece.centi_mg / self.grain) else {
                    continue;
                };
                if size == 0 || size > v {
                    continue;
                }
                if let Some(Some((cost, _))) = best.get(v - size) {
                    let candidate = cost + piece.cost;
                    if entry.is_none_or(|(current, _)| candidate < current) {
                        entry = Some((candidate, i));
                    }
                }
            }
            best.push(entry);
        }
    }

    /// The units for `mg`: solids if they can make it, else the liquid (volume to 0.01 mL).
    pub fn make(&self, mg: f64) -> Option<Vec<Unit>> {
        if let Some(units) = self.solid(mg) {
            return Some(units);
        }
        let liquid = self.liquid.as_ref()?;
        let ml = mg / liquid.mg_per_ml;
        if (ml * 100.0 - (ml * 100.0).round()).abs() > 1e-6 {
            return None;
        }
        Some(vec![Unit {
            strength_mg: liquid.mg_per_ml,
            form: Form::OralSolution,
            count: ml,
            product: liquid.product.clone(),
        }])
    }

    /// Split a daily dose over `n` doses, as evenly as the units allow, any remainder going to the
    /// later doses. `None` when no split exists.
    pub fn split(&self, daily_mg: f64, n: usize) -> Option<Vec<(f64, Vec<Unit>)>> {
        if n == 0 {
            return None;
        }
        let total = centi(daily_mg)?;
        let grain = if self.grain > 0 && self.solid(daily_mg).is_some() {
            self.grain
        } else {
            1
        };
        let n64 = u64::try_from(n).ok()?;
        let per = total / n64 / grain * grain;
        let remainder = total - per * n64;
        // remainder < n × grain: one more grain for each of the last `remainder / grain` doses.
        let extra = usize::try_from(remainder / grain).ok()?;
        let mut amounts = vec![per; n];
        for slot in amounts.iter_mut().rev().take(extra) {
            *slot += grain;
        }
        let remainder = remainder % grain;
        if remainder != 0 {
            return None;
        }
        amounts
            .into_iter()
            .map(|c| {
                let mg = c as f64 / SCALE;
                self.make(mg).map(|units| (mg, units))
            })
            .collect()
    }

    /// Whether solids can make `c` hundredths of a mg (a multiple of the grain), by table lookup.
    fn makeable(&self, c: u64) -> bool {
        let Ok(cells) = usize::try_from(c / self.grain.max(1)) else {
            return false;
        };
        if self.grain == 0 || c % self.grain != 0 || cells > 200_000 {
            return false;
        }
        self.grow(cells);
        matches!(self.table.borrow().get(cells), Some(Some(_)))
    }

    /// The largest amount solids can make at or below `mg`.
    pub fn solid_down(&self, mg: f64) -> Option<f64> {
        if self.grain == 0 {
            return None;
        }
        let mut c = ((mg * SCALE + 1e-6).floor() as u64) / self.grain * self.grain;
        while c > 0 {
            if self.makeable(c) {
                return Some(c as f64 / SCALE);
            }
            c -= self.grain;
        }
        None
    }

    /// The smallest amount solids can make at or above `mg` (searching up to twice `mg`).
    pub fn solid_up(&self, mg: f64) -> Option<f64> {
        if self.grain == 0 {
            return None;
        }
        let start = ((mg * SCALE - 1e-6).ceil().max(0.0) as u64).div_ceil(self.grain) * self.grain;
        let limit = (mg * 2.0 * SCALE) as u64 + self.grain;
        let mut c = start.max(self.grain);
        while c <= limit {
            if self.makeable(c) {
                return Some(c as f64 / SCALE);
            }
            c += self.grain;
        }
        None
    }

    /// The liquid amount nearest `mg` that can be measured (0.01 mL), if there is a liquid.
    pub fn liquid_near(&self, mg: f64) -> Option<f64> {
        let liquid = self.liquid.as_ref()?;
        let ml = (mg / liquid.mg_per_ml * 100.0).round() / 100.0;
        (ml > 0.0).then_some(ml * liquid.mg_per_ml)
    }

    /// The largest amount at or below `mg` that solids (or the liquid) can make.
    pub fn round_down(&self, mg: f64) -> Option<f64> {
        if let Some(solid) = self.solid_down(mg) {
            return Some(solid);
        }
        let liquid = self.liquid.as_ref()?;
        let ml = (mg / liquid.mg_per_ml * 100.0).floor() / 100.0;
        Some(ml * liquid.mg_per_ml)
    }
}
