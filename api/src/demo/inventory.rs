//! The demo hospital's inventory: the main pharmacy, the central store and five ward stores; a
//! formulary of a few hundred drugs, supplies and pieces of equipment; lots with expiry dates;
//! and three months of stock movements since the inventory "went live" (the opening balances are
//! receipts 90 days ago), with the balances, reorder levels and shortages they lead to.
//!
//! The history is simulated day by day, item by item: deliveries into the pharmacy or the
//! store when stock falls to the order point, ward top-ups, dispensing (some of it for demo
//! patients), first-expiry-first-out picking, expired lots written off, the odd breakage and
//! stock-count correction. A few suppliers are on back-order and a few ward top-ups were
//! missed lately, so some items end at or below their reorder level; each time a movement took
//! a level to or below its reorder level an automatic shortage opened (resolved when stock came
//! back), and staff reported a few more. Stock never goes negative, at any point in time.
//!
//! Deterministic apart from "today": the same items, quantities and pattern everywhere. Times
//! are wall-clock times in the hospital's time zone, turned into instants by PostgreSQL. The
//! whole dataset is inserted set-based (`unnest`) in a dozen statements.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, Bool, Date, Int4, Int8, Nullable, Text, Timestamp, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::schema::{patients, stock_items, stock_locations, users};

/// Stock locations: code, name, kind. The first two are the central locations.
const LOCATIONS: [(&str, &str, &str); 7] = [
    ("PHARM", "Main pharmacy", "pharmacy"),
    ("STORE", "Central store", "store"),
    ("WARD-ICU", "Intensive care unit store", "ward"),
    ("WARD-ER", "Emergency department store", "ward"),
    ("WARD-MED", "Medical ward store", "ward"),
    ("WARD-SURG", "Surgical ward store", "ward"),
    ("WARD-PAED", "Paediatric ward store", "ward"),
];
const PHARM: usize = 0;
const STORE: usize = 1;
const ICU: usize = 2;
const ER: usize = 3;
const MED: usize = 4;
const SURG: usize = 5;
const PAED: usize = 6;

/// The first day of the history (the opening balances), relative to today.
const FIRST_DAY: i64 = -90;

/// The formulary: `SKU | name | unit | flags`. Flags: usage `H`igh, `M`edium or `L`ow; `!`
/// critical; `S` kept in the central store rather than the pharmacy; `P` paediatric.
const DRUGS: &str = "
PARA-500-TAB      | Paracetamol 500 mg tablet | tablet | H
PARA-1G-INF       | Paracetamol 10 mg/mL 100 mL infusion | bag | H
PARA-120-SUSP     | Paracetamol 120 mg/5 mL oral suspension 100 mL | bottle | MP
PARA-250-SUSP     | Paracetamol 250 mg/5 mL oral suspension 100 mL | bottle | MP
PARA-500-SUPP     | Paracetamol 500 mg suppository | suppository | L
IBU-200-TAB       | Ibuprofen 200 mg tablet | tablet | H
IBU-400-TAB       | Ibuprofen 400 mg tablet | tablet | H
IBU-100-SUSP      | Ibuprofen 100 mg/5 mL oral suspension 100 mL | bottle | MP
DICLO-50-TAB      | Diclofenac sodium 50 mg gastro-resistant tablet | tablet | M
DICLO-75-AMP      | Diclofenac sodium 75 mg/3 mL ampoule | ampoule | L
DICLO-1-GEL       | Diclofenac diethylammonium 1.16% gel 50 g | tube | L
NAPRO-250-TAB     | Naproxen 250 mg tablet | tablet | M
NAPRO-500-TAB     | Naproxen 500 mg tablet | tablet | M
CODE-30-TAB       | Codeine phosphate 30 mg tablet | tablet | M
COCOD-30-TAB      | Co-codamol 30 mg/500 mg tablet | tablet | H
TRAM-50-CAP       | Tramadol 50 mg capsule | capsule | M
TRAM-100-AMP      | Tramadol 100 mg/2 mL ampoule | ampoule | L
MORPH-10-AMP      | Morphine sulfate 10 mg/mL 1 mL ampoule | ampoule | M
MORPH-10-MRTAB    | Morphine sulfate 10 mg modified-release tablet | tablet | L
MORPH-10-SOL      | Morphine sulfate 10 mg/5 mL oral solution 100 mL | bottle | L
OXY-5-CAP         | Oxycodone 5 mg capsule | capsule | L
FENT-100-AMP      | Fentanyl 50 micrograms/mL 2 mL ampoule | ampoule | M
FENT-25-PATCH     | Fentanyl 25 micrograms/hour transdermal patch | patch | L
NALOX-400-AMP     | Naloxone 400 micrograms/mL 1 mL ampoule | ampoule | M!
LIDO-1-AMP        | Lidocaine 1% 5 mL ampoule | ampoule | M
LIDO-2-AMP        | Lidocaine 2% 5 mL ampoule | ampoule | M
LIDO-5-OINT       | Lidocaine 5% ointment 15 g | tube | L
BUPI-0.5-AMP      | Bupivacaine 0.5% 10 mL ampoule | ampoule | L
AMOX-250-CAP      | Amoxicillin 250 mg capsule | capsule | H
AMOX-500-CAP      | Amoxicillin 500 mg capsule | capsule | H
AMOX-125-SUSP     | Amoxicillin 125 mg/5 mL oral suspension 100 mL | bottle | MP
AMOX-250-SUSP     | Amoxicillin 250 mg/5 mL oral suspension 100 mL | bottle | MP
COAMOX-625-TAB    | Co-amoxiclav 500 mg/125 mg tablet | tablet | H
COAMOX-1000-TAB   | Co-amoxiclav 875 mg/125 mg tablet | tablet | M
COAMOX-1.2G-VIAL  | Co-amoxiclav 1.2 g vial | vial | M
FLUCL-250-CAP     | Flucloxacillin 250 mg capsule | capsule | M
FLUCL-500-CAP     | Flucloxacillin 500 mg capsule | capsule | M
FLUCL-1G-VIAL     | Flucloxacillin 1 g vial | vial | M
BENPEN-1.2G-VIAL  | Benzylpenicillin 1.2 g vial | vial | L
PIPTAZ-4.5G-VIAL  | Piperacillin/tazobactam 4 g/500 mg vial | vial | M
CEFTR-1G-VIAL     | Ceftriaxone 1 g vial | vial | H
CEFTR-2G-VIAL     | Ceftriaxone 2 g vial | vial | M
CEFUR-250-TAB     | Cefuroxime 250 mg tablet | tablet | L
CEFUR-750-VIAL    | Cefuroxime 750 mg vial | vial | M
CEFUR-1.5G-VIAL   | Cefuroxime 1.5 g vial | vial | L
CEFAL-250-CAP     | Cefalexin 250 mg capsule | capsule | M
CEFAL-500-CAP     | Cefalexin 500 mg capsule | capsule | M
CEFAZ-1G-VIAL     | Cefazolin 1 g vial | vial | M
MEROP-500-VIAL    | Meropenem 500 mg vial | vial | L
MEROP-1G-VIAL     | Meropenem 1 g vial | vial | M
GENT-80-AMP       | Gentamicin 40 mg/mL 2 mL ampoule | ampoule | M
VANC-500-VIAL     | Vancomycin 500 mg vial | vial | L
VANC-1G-VIAL      | Vancomycin 1 g vial | vial | L
CLARI-250-TAB     | Clarithromycin 250 mg tablet | tablet | M
CLARI-500-TAB     | Clarithromycin 500 mg tablet | tablet | M
CLARI-500-VIAL    | Clarithromycin 500 mg vial | vial | L
AZITH-250-TAB     | Azithromycin 250 mg tablet | tablet | L
AZITH-500-TAB     | Azithromycin 500 mg tablet | tablet | M
AZITH-200-SUSP    | Azithromycin 200 mg/5 mL oral suspension 15 mL | bottle | LP
DOXY-100-CAP      | Doxycycline 100 mg capsule | capsule | M
CIPRO-250-TAB     | Ciprofloxacin 250 mg tablet | tablet | L
CIPRO-500-TAB     | Ciprofloxacin 500 mg tablet | tablet | M
CIPRO-400-INF     | Ciprofloxacin 2 mg/mL 200 mL infusion | bag | L
LEVOF-500-TAB     | Levofloxacin 500 mg tablet | tablet | L
METRO-400-TAB     | Metronidazole 400 mg tablet | tablet | M
METRO-500-INF     | Metronidazole 5 mg/mL 100 mL infusion | bag | M
TRIM-200-TAB      | Trimethoprim 200 mg tablet | tablet | M
NITRO-100-MRCAP   | Nitrofurantoin 100 mg modified-release capsule | capsule | M
COTRI-480-TAB     | Co-trimoxazole 80 mg/400 mg tablet | tablet | L
COTRI-960-TAB     | Co-trimoxazole 160 mg/800 mg tablet | tablet | L
CLIND-150-CAP     | Clindamycin 150 mg capsule | capsule | L
CLIND-300-AMP     | Clindamycin 150 mg/mL 2 mL ampoule | ampoule | L
LINEZ-600-TAB     | Linezolid 600 mg tablet | tablet | L
ACICL-400-TAB     | Aciclovir 400 mg tablet | tablet | L
ACICL-250-VIAL    | Aciclovir 250 mg vial | vial | L
ACICL-5-CRM       | Aciclovir 5% cream 2 g | tube | L
OSELT-75-CAP      | Oseltamivir 75 mg capsule | capsule | L
FLUCO-50-CAP      | Fluconazole 50 mg capsule | capsule | L
FLUCO-150-CAP     | Fluconazole 150 mg capsule | capsule | L
FLUCO-200-INF     | Fluconazole 2 mg/mL 100 mL infusion | bag | L
NYST-100K-SUSP    | Nystatin 100,000 units/mL oral suspension 30 mL | bottle | LP
AMLO-5-TAB        | Amlodipine 5 mg tablet | tablet | H
AMLO-10-TAB       | Amlodipine 10 mg tablet | tablet | M
RAMI-2.5-CAP      | Ramipril 2.5 mg capsule | capsule | M
RAMI-5-CAP        | Ramipril 5 mg capsule | capsule | M
RAMI-10-CAP       | Ramipril 10 mg capsule | capsule | M
LISI-5-TAB        | Lisinopril 5 mg tablet | tablet | L
LISI-10-TAB       | Lisinopril 10 mg tablet | tablet | M
LISI-20-TAB       | Lisinopril 20 mg tablet | tablet | L
LOSA-50-TAB       | Losartan 50 mg tablet | tablet | M
BISO-2.5-TAB      | Bisoprolol 2.5 mg tablet | tablet | M
BISO-5-TAB        | Bisoprolol 5 mg tablet | tablet | M
METOP-50-TAB      | Metoprolol 50 mg tablet | tablet | L
METOP-5-AMP       | Metoprolol 1 mg/mL 5 mL ampoule | ampoule | L
ATEN-50-TAB       | Atenolol 50 mg tablet | tablet | L
FUROS-20-TAB      | Furosemide 20 mg tablet | tablet | M
FUROS-40-TAB      | Furosemide 40 mg tablet | tablet | H
FUROS-20-AMP      | Furosemide 10 mg/mL 2 mL ampoule | ampoule | M
BENDRO-2.5-TAB    | Bendroflumethiazide 2.5 mg tablet | tablet | L
SPIRO-25-TAB      | Spironolactone 25 mg tablet | tablet | M
ATORV-20-TAB      | Atorvastatin 20 mg tablet | tablet | H
ATORV-40-TAB      | Atorvastatin 40 mg tablet | tablet | M
ATORV-80-TAB      | Atorvastatin 80 mg tablet | tablet | M
SIMVA-20-TAB      | Simvastatin 20 mg tablet | tablet | L
SIMVA-40-TAB      | Simvastatin 40 mg tablet | tablet | M
ASPIR-75-DTAB     | Aspirin 75 mg dispersible tablet | tablet | H
ASPIR-300-DTAB    | Aspirin 300 mg dispersible tablet | tablet | M
CLOPI-75-TAB      | Clopidogrel 75 mg tablet | tablet | M
TICAG-90-TAB      | Ticagrelor 90 mg tablet | tablet | L
APIX-2.5-TAB      | Apixaban 2.5 mg tablet | tablet | M
APIX-5-TAB        | Apixaban 5 mg tablet | tablet | M
RIVAR-20-TAB      | Rivaroxaban 20 mg tablet | tablet | L
WARF-1-TAB        | Warfarin 1 mg tablet | tablet | L
WARF-3-TAB        | Warfarin 3 mg tablet | tablet | L
WARF-5-TAB        | Warfarin 5 mg tablet | tablet | L
HEPAR-5000-VIAL   | Heparin sodium 5,000 units/mL 5 mL vial | vial | M!
HEPAR-1000-AMP    | Heparin sodium 1,000 units/mL 5 mL ampoule | ampoule | M!
ENOX-40-PFS       | Enoxaparin 40 mg/0.4 mL prefilled syringe | syringe | H
ENOX-80-PFS       | Enoxaparin 80 mg/0.8 mL prefilled syringe | syringe | M
DIGOX-125-TAB     | Digoxin 125 micrograms tablet | tablet | L
DIGOX-500-AMP     | Digoxin 250 micrograms/mL 2 mL ampoule | ampoule | L
AMIOD-200-TAB     | Amiodarone 200 mg tablet | tablet | L
AMIOD-150-AMP     | Amiodarone 50 mg/mL 3 mL ampoule | ampoule | L!
GTN-400-SPR       | Glyceryl trinitrate 400 micrograms/dose sublingual spray | bottle | M
GTN-50-VIAL       | Glyceryl trinitrate 1 mg/mL 50 mL vial | vial | L
ISMN-20-TAB       | Isosorbide mononitrate 20 mg tablet | tablet | L
ADENO-6-VIAL      | Adenosine 3 mg/mL 2 mL vial | vial | L!
ATROP-600-AMP     | Atropine 600 micrograms/mL 1 mL ampoule | ampoule | M!
ADREN-1-AMP       | Adrenaline (epinephrine) 1 mg/mL (1 in 1,000) 1 mL ampoule | ampoule | M!
ADREN-1-PFS       | Adrenaline (epinephrine) 100 micrograms/mL (1 in 10,000) 10 mL prefilled syringe | syringe | M!
ADREN-300-AI      | Adrenaline (epinephrine) 300 micrograms auto-injector | auto-injector | L!
NORAD-4-AMP       | Noradrenaline 1 mg/mL 4 mL ampoule | ampoule | M!
DOBUT-250-AMP     | Dobutamine 12.5 mg/mL 20 mL ampoule | ampoule | L
LABET-100-AMP     | Labetalol 5 mg/mL 20 mL ampoule | ampoule | L
SALB-100-INH      | Salbutamol 100 micrograms/dose inhaler | inhaler | H
SALB-2.5-NEB      | Salbutamol 2.5 mg/2.5 mL nebuliser solution | nebule | H
SALB-5-NEB        | Salbutamol 5 mg/2.5 mL nebuliser solution | nebule | M
IPRA-500-NEB      | Ipratropium bromide 500 micrograms/2 mL nebuliser solution | nebule | M
BECLO-100-INH     | Beclometasone 100 micrograms/dose inhaler | inhaler | M
BUDFOR-200-INH    | Budesonide/formoterol 200/6 micrograms/dose inhaler | inhaler | M
TIOT-18-ICAP      | Tiotropium 18 micrograms inhalation powder capsule | capsule | L
MONTE-10-TAB      | Montelukast 10 mg tablet | tablet | L
MONTE-4-CTAB      | Montelukast 4 mg chewable tablet | tablet | LP
PRED-5-TAB        | Prednisolone 5 mg tablet | tablet | H
PRED-5-STAB       | Prednisolone 5 mg soluble tablet | tablet | MP
HYDROC-100-VIAL   | Hydrocortisone 100 mg vial | vial | M!
HYDROC-1-CRM      | Hydrocortisone 1% cream 15 g | tube | L
DEXA-2-TAB        | Dexamethasone 2 mg tablet | tablet | M
DEXA-3.3-AMP      | Dexamethasone 3.3 mg/mL 1 mL ampoule | ampoule | M
MPRED-500-VIAL    | Methylprednisolone 500 mg vial | vial | L
MGSO4-50-AMP      | Magnesium sulfate 50% 5 mL ampoule | ampoule | L
OMEP-20-CAP       | Omeprazole 20 mg gastro-resistant capsule | capsule | H
OMEP-40-CAP       | Omeprazole 40 mg gastro-resistant capsule | capsule | M
OMEP-40-VIAL      | Omeprazole 40 mg vial | vial | L
PANTO-40-TAB      | Pantoprazole 40 mg gastro-resistant tablet | tablet | M
PANTO-40-VIAL     | Pantoprazole 40 mg vial | vial | M
LANSO-30-CAP      | Lansoprazole 30 mg gastro-resistant capsule | capsule | M
ONDAN-4-TAB       | Ondansetron 4 mg tablet | tablet | M
ONDAN-8-TAB       | Ondansetron 8 mg tablet | tablet | L
ONDAN-4-AMP       | Ondansetron 2 mg/mL 2 mL ampoule | ampoule | H
ONDAN-8-AMP       | Ondansetron 2 mg/mL 4 mL ampoule | ampoule | M
METOC-10-TAB      | Metoclopramide 10 mg tablet | tablet | M
METOC-10-AMP      | Metoclopramide 5 mg/mL 2 mL ampoule | ampoule | M
CYCLI-50-TAB      | Cyclizine 50 mg tablet | tablet | M
CYCLI-50-AMP      | Cyclizine 50 mg/mL 1 mL ampoule | ampoule | M
LACTU-500-SOL     | Lactulose 3.3 g/5 mL oral solution 500 mL | bottle | M
SENNA-7.5-TAB     | Senna 7.5 mg tablet | tablet | H
MACRO-SACH        | Macrogol compound oral powder 13.8 g sachet | sachet | M
LOPER-2-CAP       | Loperamide 2 mg capsule | capsule | M
DOCU-100-CAP      | Docusate sodium 100 mg capsule | capsule | L
GLYC-4-SUPP       | Glycerol 4 g suppository | suppository | L
HYOSC-10-TAB      | Hyoscine butylbromide 10 mg tablet | tablet | L
HYOSC-20-AMP      | Hyoscine butylbromide 20 mg/mL 1 mL ampoule | ampoule | L
METF-500-TAB      | Metformin 500 mg tablet | tablet | H
METF-850-TAB      | Metformin 850 mg tablet | tablet | M
GLICL-40-TAB      | Gliclazide 40 mg tablet | tablet | L
GLICL-80-TAB      | Gliclazide 80 mg tablet | tablet | M
INS-SOL-VIAL      | Insulin soluble human 100 units/mL 10 mL vial | vial | M!
INS-ASP-PEN       | Insulin aspart 100 units/mL 3 mL prefilled pen | pen | M!
INS-GLA-PEN       | Insulin glargine 100 units/mL 3 mL prefilled pen | pen | M!
INS-ISO-PEN       | Insulin isophane human 100 units/mL 3 mL prefilled pen | pen | L!
LEVO-25-TAB       | Levothyroxine 25 micrograms tablet | tablet | M
LEVO-50-TAB       | Levothyroxine 50 micrograms tablet | tablet | M
LEVO-100-TAB      | Levothyroxine 100 micrograms tablet | tablet | M
GLUC-40-GEL       | Glucose 40% oral gel 25 g | tube | M!
GLUCA-1-KIT       | Glucagon 1 mg injection kit | kit | L!
DIAZ-2-TAB        | Diazepam 2 mg tablet | tablet | L
DIAZ-5-TAB        | Diazepam 5 mg tablet | tablet | L
DIAZ-10-AMP       | Diazepam 5 mg/mL 2 mL ampoule | ampoule | L
LORAZ-1-TAB       | Lorazepam 1 mg tablet | tablet | L
LORAZ-4-AMP       | Lorazepam 4 mg/mL 1 mL ampoule | ampoule | L!
MIDAZ-5-AMP       | Midazolam 1 mg/mL 5 mL ampoule | ampoule | M
MIDAZ-10-AMP      | Midazolam 5 mg/mL 2 mL ampoule | ampoule | M
MIDAZ-10-OROM     | Midazolam 5 mg/mL oromucosal solution 2 mL prefilled oral syringe | syringe | L!P
LEVET-500-TAB     | Levetiracetam 500 mg tablet | tablet | M
LEVET-500-VIAL    | Levetiracetam 100 mg/mL 5 mL vial | vial | L
PHENY-100-CAP     | Phenytoin sodium 100 mg capsule | capsule | L
PHENY-250-AMP     | Phenytoin sodium 50 mg/mL 5 mL ampoule | ampoule | L
VALP-200-GRTAB    | Sodium valproate 200 mg gastro-resistant tablet | tablet | L
VALP-500-GRTAB    | Sodium valproate 500 mg gastro-resistant tablet | tablet | L
CARBA-200-TAB     | Carbamazepine 200 mg tablet | tablet | L
HALO-1.5-TAB      | Haloperidol 1.5 mg tablet | tablet | L
HALO-5-AMP        | Haloperidol 5 mg/mL 1 mL ampoule | ampoule | L
OLANZ-5-TAB       | Olanzapine 5 mg tablet | tablet | L
OLANZ-10-TAB      | Olanzapine 10 mg tablet | tablet | L
QUETI-25-TAB      | Quetiapine 25 mg tablet | tablet | M
QUETI-100-TAB     | Quetiapine 100 mg tablet | tablet | L
SERT-50-TAB       | Sertraline 50 mg tablet | tablet | M
SERT-100-TAB      | Sertraline 100 mg tablet | tablet | L
CITAL-20-TAB      | Citalopram 20 mg tablet | tablet | M
MIRTA-15-TAB      | Mirtazapine 15 mg tablet | tablet | L
MIRTA-30-TAB      | Mirtazapine 30 mg tablet | tablet | L
AMITR-10-TAB      | Amitriptyline 10 mg tablet | tablet | M
AMITR-25-TAB      | Amitriptyline 25 mg tablet | tablet | L
ZOPI-3.75-TAB     | Zopiclone 3.75 mg tablet | tablet | L
ZOPI-7.5-TAB      | Zopiclone 7.5 mg tablet | tablet | M
GABA-300-CAP      | Gabapentin 300 mg capsule | capsule | M
PREGA-75-CAP      | Pregabalin 75 mg capsule | capsule | M
PROPO-200-AMP     | Propofol 10 mg/mL 20 mL ampoule | ampoule | M
PROPO-500-VIAL    | Propofol 10 mg/mL 50 mL vial | vial | M
KETA-200-VIAL     | Ketamine 10 mg/mL 20 mL vial | vial | L
KETA-500-VIAL     | Ketamine 50 mg/mL 10 mL vial | vial | L
SUXA-100-AMP      | Suxamethonium chloride 50 mg/mL 2 mL ampoule | ampoule | L!
ROCU-50-VIAL      | Rocuronium bromide 10 mg/mL 5 mL vial | vial | M!
SUGAM-200-VIAL    | Sugammadex 100 mg/mL 2 mL vial | vial | L
TXA-500-TAB       | Tranexamic acid 500 mg tablet | tablet | L
TXA-500-AMP       | Tranexamic acid 100 mg/mL 5 mL ampoule | ampoule | M!
VITK-10-AMP       | Phytomenadione (vitamin K1) 10 mg/mL 1 mL ampoule | ampoule | L
VITK-2-AMP        | Phytomenadione (vitamin K1) 2 mg/0.2 mL paediatric ampoule | ampoule | LP
KCL-600-MRTAB     | Potassium chloride 600 mg modified-release tablet | tablet | M
KCL-NACL-1L-INF   | Potassium chloride 0.3% and sodium chloride 0.9% 1000 mL infusion | bag | MS
CAGLU-10-AMP      | Calcium gluconate 10% 10 mL ampoule | ampoule | L!
NAHCO3-8.4-VIAL   | Sodium bicarbonate 8.4% 50 mL vial | vial | L
NACL-0.9-1L-INF   | Sodium chloride 0.9% 1000 mL infusion | bag | HS
NACL-0.9-500-INF  | Sodium chloride 0.9% 500 mL infusion | bag | HS
NACL-0.9-100-INF  | Sodium chloride 0.9% 100 mL infusion | bag | HS
NACL-0.9-10-AMP   | Sodium chloride 0.9% 10 mL ampoule | ampoule | H
HARTM-1L-INF      | Compound sodium lactate (Hartmann's) 1000 mL infusion | bag | HS
GLU-5-500-INF     | Glucose 5% 500 mL infusion | bag | MS
GLU-5-1L-INF      | Glucose 5% 1000 mL infusion | bag | MS
GLU-10-500-INF    | Glucose 10% 500 mL infusion | bag | LS
GLU-50-50-VIAL    | Glucose 50% 50 mL vial | vial | L!
GLUNACL-500-INF   | Glucose 4% and sodium chloride 0.18% 500 mL infusion | bag | LSP
WFI-10-AMP        | Water for injections 10 mL ampoule | ampoule | H
GELO-4-500-INF    | Succinylated gelatin 4% 500 mL infusion | bag | LS
ALB-20-100-VIAL   | Human albumin 20% 100 mL vial | vial | L
CHLOR-4-TAB       | Chlorphenamine 4 mg tablet | tablet | M
CHLOR-10-AMP      | Chlorphenamine 10 mg/mL 1 mL ampoule | ampoule | M
CETIR-10-TAB      | Cetirizine 10 mg tablet | tablet | M
LORAT-10-TAB      | Loratadine 10 mg tablet | tablet | L
ALLO-100-TAB      | Allopurinol 100 mg tablet | tablet | M
ALLO-300-TAB      | Allopurinol 300 mg tablet | tablet | L
COLCH-500-TAB     | Colchicine 500 micrograms tablet | tablet | L
FOLIC-5-TAB       | Folic acid 5 mg tablet | tablet | M
FERR-200-TAB      | Ferrous sulfate 200 mg tablet | tablet | M
HYDROX-1-AMP      | Hydroxocobalamin 1 mg/mL 1 mL ampoule | ampoule | L
THIA-100-TAB      | Thiamine 100 mg tablet | tablet | M
CALD3-CTAB        | Calcium carbonate 1.5 g/colecalciferol 400 units chewable tablet | tablet | M
COLEC-800-TAB     | Colecalciferol 800 units tablet | tablet | M
TAMS-400-MRCAP    | Tamsulosin 400 micrograms modified-release capsule | capsule | M
FINA-5-TAB        | Finasteride 5 mg tablet | tablet | L
CHLORAM-0.5-EYE   | Chloramphenicol 0.5% eye drops 10 mL | bottle | M
CHLORAM-1-EYEOINT | Chloramphenicol 1% eye ointment 4 g | tube | L
FUSID-2-CRM       | Fusidic acid 2% cream 15 g | tube | L
CLOTR-1-CRM       | Clotrimazole 1% cream 20 g | tube | L
CHX-0.2-MW        | Chlorhexidine gluconate 0.2% mouthwash 300 mL | bottle | L
NICO-21-PATCH     | Nicotine 21 mg/24 hours transdermal patch | patch | L
NICO-14-PATCH     | Nicotine 14 mg/24 hours transdermal patch | patch | L
ORS-SACH          | Oral rehydration salts sachet | sachet | MP
CHARC-50-SUSP     | Activated charcoal 50 g/250 mL oral suspension | bottle | L
ACETYL-200-AMP    | Acetylcysteine 200 mg/mL 10 mL ampoule | ampoule | L!
ALTEP-50-VIAL     | Alteplase 50 mg vial | vial | L!
TDIPV-PFS         | Tetanus, diphtheria and poliomyelitis vaccine 0.5 mL prefilled syringe | syringe | L
FLUVAC-PFS        | Influenza vaccine (quadrivalent) 0.5 mL prefilled syringe | syringe | M
";

/// Medical supplies, kept in the central store. Flags as for drugs, and `n`: not lot-tracked.
const SUPPLIES: &str = "
SYR-1ML           | Syringe 1 mL luer slip, sterile | box of 100 | M
SYR-2ML           | Syringe 2 mL luer slip, sterile | box of 100 | M
SYR-5ML           | Syringe 5 mL luer slip, sterile | box of 100 | H
SYR-10ML          | Syringe 10 mL luer lock, sterile | box of 100 | H
SYR-20ML          | Syringe 20 mL luer lock, sterile | box of 50 | M
SYR-50ML          | Syringe 50 mL luer lock for syringe drivers | each | M
SYR-INS-1ML       | Insulin syringe 1 mL with 30G needle | box of 100 | L
SYR-ENT-5ML       | Enteral syringe 5 mL, ENFit | each | MP
NDL-19G           | Hypodermic needle 19G x 40 mm (white) | box of 100 | L
NDL-21G           | Hypodermic needle 21G x 40 mm (green) | box of 100 | H
NDL-23G           | Hypodermic needle 23G x 25 mm (blue) | box of 100 | M
NDL-25G           | Hypodermic needle 25G x 16 mm (orange) | box of 100 | M
NDL-BLUNT-18G     | Blunt fill needle 18G with 5 micron filter | box of 100 | M
CAN-16G           | IV cannula 16G (grey), safety | each | M
CAN-18G           | IV cannula 18G (green), safety | each | H
CAN-20G           | IV cannula 20G (pink), safety | each | H
CAN-22G           | IV cannula 22G (blue), safety | each | M
CAN-24G           | IV cannula 24G (yellow), safety | each | LP
IVSET-GRAV        | IV administration set, gravity, 20 drops/mL | each | H
IVSET-PUMP        | IV administration set for volumetric pump | each | H
IVSET-BLOOD       | Blood administration set with 200 micron filter | each | M
IVSET-BUR         | Burette administration set 150 mL, paediatric | each | LP
EXT-3WAY          | Extension set with three-way tap, 10 cm | each | M
NFC               | Needle-free connector | each | M
CATH-FOL-12       | Foley catheter 12 Ch, silicone | each | L
CATH-FOL-14       | Foley catheter 14 Ch, silicone | each | M
CATH-FOL-16       | Foley catheter 16 Ch, silicone | each | M
UDB-2L            | Urine drainage bag 2 L with tap | each | M
SUCT-10CH         | Suction catheter 10 Ch | each | M
SUCT-12CH         | Suction catheter 12 Ch | each | M
YANKAUER          | Yankauer suction tip | each | M
NGT-8FR           | Nasogastric feeding tube 8 Fr, ENFit | each | LP
NGT-12FR          | Nasogastric tube 12 Fr | each | L
GLV-NIT-S         | Nitrile examination gloves, small | box of 100 | H
GLV-NIT-M         | Nitrile examination gloves, medium | box of 100 | H
GLV-NIT-L         | Nitrile examination gloves, large | box of 100 | H
GLV-NIT-XL        | Nitrile examination gloves, extra large | box of 100 | L
GLV-STER-6.5      | Sterile surgical gloves, size 6.5 | box of 50 pairs | L
GLV-STER-7        | Sterile surgical gloves, size 7 | box of 50 pairs | M
GLV-STER-7.5      | Sterile surgical gloves, size 7.5 | box of 50 pairs | M
GLV-STER-8        | Sterile surgical gloves, size 8 | box of 50 pairs | L
MASK-SURG-IIR     | Surgical face mask, type IIR | box of 50 | H
MASK-FFP3         | FFP3 respirator | box of 20 | M
MASK-O2-ADULT     | Oxygen mask, adult, medium concentration, with tubing | each | H!
MASK-O2-PAED      | Oxygen mask, paediatric, with tubing | each | M!P
MASK-NRB-ADULT    | Non-rebreather oxygen mask with reservoir bag, adult | each | M!
NASCAN-ADULT      | Nasal oxygen cannula, adult | each | H
NEB-KIT-ADULT     | Nebuliser kit with mask, adult | each | M
NEB-KIT-PAED      | Nebuliser kit with mask, paediatric | each | LP
BVM-ADULT         | Bag-valve-mask resuscitator, adult, single use | each | L!
BVM-PAED          | Bag-valve-mask resuscitator, paediatric, single use | each | L!P
ETT-7.0           | Endotracheal tube 7.0 mm, cuffed | each | L
ETT-7.5           | Endotracheal tube 7.5 mm, cuffed | each | L
ETT-8.0           | Endotracheal tube 8.0 mm, cuffed | each | L
LMA-3             | Laryngeal mask airway, size 3 | each | L
LMA-4             | Laryngeal mask airway, size 4 | each | L
DEFIB-PADS-ADULT  | Defibrillator pads, adult | pair | L!
ECG-ELEC          | ECG electrodes, foam | pack of 50 | M
GAUZE-10          | Gauze swabs 10 x 10 cm, non-sterile | pack of 100 | H
GAUZE-STER-7.5    | Gauze swabs 7.5 x 7.5 cm, sterile | pack of 5 | H
DRS-FILM-6X7      | Transparent film dressing 6 x 7 cm | each | H
DRS-ISL-10X10     | Adhesive island dressing 10 x 10 cm | each | M
DRS-FOAM-10X10    | Foam dressing 10 x 10 cm | each | M
DRS-ALG-10X10     | Alginate dressing 10 x 10 cm | each | L
BAND-CREPE-10     | Crepe bandage 10 cm x 4.5 m | each | M
BAND-CONF-7.5     | Conforming bandage 7.5 cm x 4 m | each | M
TAPE-MICRO-2.5    | Microporous surgical tape 2.5 cm x 9.1 m | roll | M
WIPE-IPA          | Alcohol wipes, 70% isopropyl alcohol | box of 200 | H
CHX-APPL-3ML      | Chlorhexidine 2% in 70% alcohol applicator 3 mL | each | M
SHARPS-1L         | Sharps container 1 L | each | Mn
SHARPS-5L         | Sharps container 5 L | each | Ln
TUBE-EDTA-4ML     | Blood collection tube EDTA 4 mL (lavender) | box of 100 | M
TUBE-SST-5ML      | Blood collection tube serum gel 5 mL (gold) | box of 100 | M
TUBE-CIT-2.7ML    | Blood collection tube citrate 2.7 mL (light blue) | box of 100 | L
BCULT-SET         | Blood culture bottle set, aerobic and anaerobic | each | M
URINE-POT-60      | Urine specimen container 60 mL, sterile | each | M
SUT-PGA-2-0       | Absorbable suture polyglactin 2-0, 75 cm | each | L
SUT-PP-3-0        | Non-absorbable suture polypropylene 3-0, 45 cm | each | L
SCALPEL-10        | Scalpel blade No. 10, sterile | box of 100 | L
SCALPEL-11        | Scalpel blade No. 11, sterile | box of 100 | L
APRON             | Disposable plastic apron | roll of 200 | Hn
GOWN-STER-L       | Sterile surgical gown, large | each | M
GLUC-STRIP        | Blood glucose test strips | box of 50 | H
LANCET            | Safety lancets | box of 200 | M
URINE-DIP         | Urine reagent strips, 10 parameters | tube of 100 | M
HAND-RUB-500      | Alcohol hand rub 500 mL | each | Hn
CVC-KIT-3L        | Central venous catheter kit, triple lumen | each | L
ART-KIT           | Arterial line kit | each | L
CHEST-DRAIN-28    | Chest drain set 28 Fr | each | L
PROBE-COVER       | Tympanic thermometer probe covers | box of 20 | M
";

/// Equipment, kept in the central store and lent to the wards; never lot-tracked.
const EQUIPMENT: &str = "
EQ-PUMP-VOL       | Volumetric infusion pump | each | L
EQ-SYR-DRIVER     | Syringe driver | each | L
EQ-SPO2-FINGER    | Pulse oximeter, fingertip | each | L
EQ-SPO2-HAND      | Pulse oximeter, handheld, with adult and paediatric probes | each | L
EQ-THERM-TYMP     | Tympanic thermometer | each | L
EQ-BP-AUTO        | Automatic blood pressure monitor | each | L
EQ-BP-CUFF-ADULT  | Blood pressure cuff, adult | each | L
EQ-BP-CUFF-LARGE  | Blood pressure cuff, large adult | each | L
EQ-BP-CUFF-PAED   | Blood pressure cuff, paediatric | each | LP
EQ-GLUCOMETER     | Blood glucose meter | each | L
EQ-STETH          | Stethoscope, dual head | each | L
EQ-NEB-COMP       | Nebuliser compressor | each | L
EQ-SUCTION        | Portable suction unit | each | L
EQ-O2-FLOW        | Oxygen flowmeter, 0-15 L/min | each | L
EQ-O2-REG         | Oxygen cylinder regulator | each | L
EQ-MONITOR        | Vital signs monitor | each | L
EQ-BLADDER-SCAN   | Bladder scanner | each | L
EQ-OTOSCOPE       | Otoscope | each | L
EQ-PEN-TORCH      | Pen torch | each | L
EQ-IV-POLE        | IV pole, five-castor base | each | L
EQ-WHEELCHAIR     | Wheelchair, transit | each | L
EQ-CRUTCHES       | Crutches, adjustable | pair | L
";

/// The item a pharmacist trying HMS meets first: two lots in the pharmacy, one expiring soon.
const SHOWCASE: &str = "AMOX-500-CAP";

/// Items whose supplier has been on back-order since before the history began: nothing ordered
/// has arrived, and the opening stock runs down to the reorder level a few weeks ago.
const BACK_ORDERS: [&str; 4] = [
    "SALB-100-INH",
    "HEPAR-5000-VIAL",
    "CEFTR-2G-VIAL",
    "GLV-NIT-M",
];

/// Deliveries that came late, a few days after the stock had fallen to the reorder level: the
/// first order placed from that day on.
const LATE_DELIVERIES: [(&str, i64); 3] =
    [("PARA-1G-INF", -75), ("CAN-20G", -75), ("ADREN-1-AMP", -70)];

/// Ward stores whose top-ups were missed lately: item, ward, since.
const MISSED_TOP_UPS: [(&str, usize, i64); 4] = [
    ("MASK-O2-ADULT", ICU, -21),
    ("NALOX-400-AMP", ER, -40),
    ("ONDAN-4-AMP", SURG, -21),
    ("GAUZE-STER-7.5", ER, -21),
];

/// Shortages staff reported by hand: reporter, item, location, severity, note, days ago,
/// minute of the day, and what became of it.
const REPORTED: [Reported; 7] = [
    Reported {
        by: Actor::Nurse,
        sku: "PROPO-500-VIAL",
        location: ICU,
        severity: "high",
        note: "Propofol use is up with three ventilated patients; we will run out before the weekend at this rate.",
        day: -1,
        minute: 14 * 60 + 20,
        outcome: Outcome::Open,
    },
    Reported {
        by: Actor::Doctor,
        sku: "TDIPV-PFS",
        location: ER,
        severity: "medium",
        note: "Tetanus vaccine going fast with this week's trauma cases; please send more to the ED.",
        day: -2,
        minute: 9 * 60 + 5,
        outcome: Outcome::Acknowledged,
    },
    Reported {
        by: Actor::Nurse,
        sku: "PARA-120-SUSP",
        location: PAED,
        severity: "high",
        note: "Paracetamol suspension running low on the children's ward.",
        day: -4,
        minute: 7 * 60 + 40,
        outcome: Outcome::Ordered,
    },
    Reported {
        by: Actor::Nurse,
        sku: "SYR-ENT-5ML",
        location: MED,
        severity: "low",
        note: "Running low on enteral syringes; two tube-fed patients on the ward.",
        day: -3,
        minute: 16 * 60 + 10,
        outcome: Outcome::Open,
    },
    Reported {
        by: Actor::Doctor,
        sku: "DRS-FOAM-10X10",
        location: SURG,
        severity: "medium",
        note: "Foam dressings needed for the post-operative wound clinic tomorrow.",
        day: -1,
        minute: 11 * 60 + 30,
        outcome: Outcome::Open,
    },
    Reported {
        by: Actor::Nurse,
        sku: "CAN-18G",
        location: ER,
        severity: "high",
        note: "Green cannulas going fast after a busy night; please top up today.",
        day: -20,
        minute: 6 * 60 + 50,
        outcome: Outcome::Resolved("Topped up from the central store."),
    },
    Reported {
        by: Actor::Doctor,
        sku: "ALB-20-100-VIAL",
        location: ICU,
        severity: "medium",
        note: "Could not find any albumin in the ICU store.",
        day: -12,
        minute: 22 * 60 + 15,
        outcome: Outcome::Dismissed("Stock is in the ICU fridge, second shelf; none missing."),
    },
];

/// The arrival day of a late delivery until it is known.
const LATE: i64 = i64::MAX;
/// The arrival day of a back-ordered delivery.
const NEVER: i64 = i64::MAX - 1;

const SUPPLIERS: [&str; 4] = [
    "Meridian Pharma Wholesale",
    "Northwind Medical Supplies",
    "Atlas Healthcare Logistics",
    "Crescent Medical Distribution",
];
const LOT_PREFIXES: [&str; 8] = ["B", "L", "K", "AB", "PX", "T", "MH", "R"];

/// Who did something: the demo accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Pharmacist,
    Nurse,
    Doctor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Open,
    Acknowledged,
    Ordered,
    Resolved(&'static str),
    Dismissed(&'static str),
}

struct Reported {
    by: Actor,
    sku: &'static str,
    location: usize,
    severity: &'static str,
    note: &'static str,
    day: i64,
    minute: i64,
    outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Drug,
    Supply,
    Equipment,
}

impl Category {
    fn as_str(self) -> &'static str {
        match self {
            Category::Drug => "drug",
            Category::Supply => "supply",
            Category::Equipment => "equipment",
        }
    }
}

/// How an item is counted, which decides how it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pack {
    /// Tablets and capsules.
    Solid,
    /// One dose or one piece: ampoules, vials, bags, syringes, "each".
    Dose,
    /// A container used over days: bottles, tubes, inhalers, pens.
    Container,
    /// A box, pack or roll of many.
    Box,
}

fn pack(unit: &str) -> Pack {
    match unit {
        "tablet" | "capsule" => Pack::Solid,
        "bottle" | "tube" | "inhaler" | "pen" => Pack::Container,
        "ampoule" | "vial" | "bag" | "syringe" | "nebule" | "sachet" | "suppository" | "patch"
        | "each" | "kit" | "auto-injector" | "pair" => Pack::Dose,
        _ => Pack::Box,
    }
}

/// One line of the catalogue.
#[derive(Debug, Clone)]
struct Entry {
    sku: &'static str,
    name: &'static str,
    unit: &'static str,
    category: Category,
    /// 0 high, 1 medium, 2 low usage.
    tier: usize,
    critical: bool,
    lot_tracked: bool,
    central: usize,
    paediatric: bool,
}

fn catalogue() -> Vec<Entry> {
    let mut out = Vec::new();
    for (table, category) in [
        (DRUGS, Category::Drug),
        (SUPPLIES, Category::Supply),
        (EQUIPMENT, Category::Equipment),
    ] {
        for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let mut fields = line.split('|').map(str::trim);
            let sku = fields.next().unwrap_or_default();
            let name = fields.next().unwrap_or_default();
            let unit = fields.next().unwrap_or_default();
            let flags = fields.next().unwrap_or_default();
            out.push(Entry {
                sku,
                name,
                unit,
                category,
                tier: if flags.contains('H') {
                    0
                } else if flags.contains('M') {
                    1
                } else {
                    2
                },
                critical: flags.contains('!'),
                lot_tracked: category != Category::Equipment && !flags.contains('n'),
                central: if category == Category::Drug && !flags.contains('S') {
                    PHARM
                } else {
                    STORE
                },
                paediatric: flags.contains('P'),
            });
        }
    }
    out
}

/// A small deterministic generator (xorshift64*), like the other demo datasets'.
struct Dice(u64);

impl Dice {
    fn seeded(n: u64) -> Dice {
        let mut dice = Dice(0x1A7E_57C0_2026_1126 ^ (n + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        for _ in 0..4 {
            dice.next();
        }
        dice
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// How many events happen in a day at `rate` events a day (at most one more than the
    /// whole part).
    fn events(&mut self, rate: f64) -> usize {
        let whole = rate.floor();
        whole as usize + usize::from(self.chance(rate - whole))
    }
}

/// A quantity rounded the way people set levels: to 1 below 10, to 5 below 100, to 10 below
/// 1000, to 50 above.
fn nice(x: f64) -> i64 {
    let step = if x <= 10.0 {
        1.0
    } else if x <= 100.0 {
        5.0
    } else if x <= 1000.0 {
        10.0
    } else {
        50.0
    };
    ((x / step).ceil() * step).max(1.0) as i64
}

/// Events a day and units per event: (central location, each ward), by usage tier.
fn usage(entry: &Entry) -> ((f64, f64), (f64, f64)) {
    let t = entry.tier;
    let pick = |xs: [f64; 3]| xs[t];
    let central = match (entry.category, pack(entry.unit)) {
        (Category::Drug, _) if entry.central != PHARM => (0.0, 0.0),
        (Category::Drug, Pack::Solid) => (pick([0.7, 0.25, 0.08]), pick([70.0, 35.0, 28.0])),
        (Category::Drug, Pack::Dose) => (pick([0.4, 0.15, 0.05]), pick([5.0, 2.5, 1.2])),
        (Category::Drug, _) => (pick([0.6, 0.22, 0.06]), pick([2.0, 1.5, 1.0])),
        _ => (0.0, 0.0),
    };
    let ward = match (entry.category, pack(entry.unit)) {
        (Category::Equipment, _) => (0.0, 0.0),
        (Category::Drug, Pack::Solid) => (pick([0.3, 0.12, 0.04]), pick([14.0, 7.0, 4.0])),
        (Category::Drug, Pack::Dose) => (pick([0.3, 0.13, 0.05]), pick([4.0, 2.0, 1.5])),
        (Category::Drug, _) => (pick([0.15, 0.06, 0.025]), 1.2),
        (Category::Supply, Pack::Dose) => (pick([0.3, 0.13, 0.05]), pick([10.0, 4.0, 2.0])),
        (Category::Supply, _) => (pick([0.25, 0.1, 0.03]), pick([1.5, 1.2, 1.0])),
    };
    (central, ward)
}

/// The hospital's wall-clock time on `day` (relative to today) at `minute` past midnight.
fn at(today: NaiveDate, day: i64, minute: i64) -> NaiveDateTime {
    today.and_time(NaiveTime::MIN) + Duration::days(day) + Duration::minutes(minute)
}

/// One stock-holding place of one item: where, its reorder level and quantity, and how it is
/// used and refilled.
#[derive(Debug, Clone)]
struct Point {
    location: usize,
    level: i64,
    quantity: i64,
    /// Central: the order point; ward: the level that triggers a top-up.
    trigger: i64,
    /// Dispensing events a day and units per event.
    rate: f64,
    size: f64,
    /// No top-up from this day on (a missed top-up).
    no_top_up_from: Option<i64>,
    /// Whether the level has been above the reorder level since the history began.
    tracking: bool,
    /// The open low-stock interval, an index into `Plan::intervals`.
    low: Option<usize>,
}

#[derive(Debug, Clone)]
struct SimLot {
    global: usize,
    /// Expiry, relative to today.
    expires: i64,
    /// Written off this many days after it expires (None: left on the shelf, expired).
    write_off_after: Option<i64>,
}

/// The plan of the whole dataset: what gets inserted.
#[derive(Debug, Default)]
struct Plan {
    items: Vec<PlannedItem>,
    /// (item, location, level, quantity).
    overrides: Vec<(usize, usize, i64, i64)>,
    lots: Vec<PlannedLot>,
    movements: Vec<Move>,
    intervals: Vec<Interval>,
    shortages: Vec<PlannedShortage>,
}

#[derive(Debug, Clone)]
struct PlannedItem {
    entry: Entry,
    level: i64,
    quantity: i64,
}

#[derive(Debug, Clone)]
struct PlannedLot {
    item: usize,
    number: String,
    expires_on: NaiveDate,
    received: NaiveDateTime,
}

#[derive(Debug, Clone)]
struct Move {
    kind: &'static str,
    item: usize,
    from: Option<usize>,
    to: Option<usize>,
    quantity: i64,
    patient: Option<usize>,
    write_off_reason: Option<&'static str>,
    reason: Option<String>,
    by: Actor,
    at: NaiveDateTime,
    lines: Vec<Line>,
}

#[derive(Debug, Clone, Copy)]
struct Line {
    lot: Option<usize>,
    location: usize,
    delta: i64,
}

/// A time when an item's level at a location was at or below its reorder level.
#[derive(Debug, Clone)]
struct Interval {
    item: usize,
    location: usize,
    opened: NaiveDateTime,
    level_at_open: i64,
    /// When a movement brought the level back above, by whom and how.
    closed: Option<(NaiveDateTime, Actor, &'static str)>,
}

#[derive(Debug, Clone)]
struct PlannedShortage {
    item: usize,
    location: usize,
    status: &'static str,
    severity: &'static str,
    source: &'static str,
    note: Option<String>,
    level_at_open: Option<i64>,
    order_reference: Option<String>,
    resolution: Option<String>,
    events: Vec<PlannedEvent>,
}

#[derive(Debug, Clone)]
struct PlannedEvent {
    from: Option<&'static str>,
    to: &'static str,
    by: Actor,
    at: NaiveDateTime,
    note: Option<String>,
}

/// Something that happens to one item during one day.
#[derive(Debug, Clone, Copy)]
enum Event {
    Receive {
        quantity: i64,
        expires: i64,
        opening: bool,
    },
    TopUp {
        point: usize,
        opening: bool,
    },
    Dispense {
        point: usize,
        quantity: i64,
        patient: Option<usize>,
    },
    WriteOffExpired {
        lot: usize,
    },
    Damage {
        point: usize,
    },
    Count {
        point: usize,
    },
}

/// Plans the whole dataset for `today`, with `patients` demo patients to dispense to.
fn plan(today: NaiveDate, patients: usize) -> Plan {
    let mut plan = Plan::default();
    for (index, entry) in catalogue().into_iter().enumerate() {
        let mut sim = ItemSim::new(index, entry, &mut plan, patients);
        sim.run(today, &mut plan);
    }
    plan.movements.sort_by_key(|m| m.at);
    automatic_shortages(today, &mut plan);
    reported_shortages(today, &mut plan);
    plan
}

/// The simulation of one item.
struct ItemSim {
    item: usize,
    entry: Entry,
    dice: Dice,
    /// `points[0]` is the central location, then the wards.
    points: Vec<Point>,
    lots: Vec<SimLot>,
    stock: BTreeMap<(usize, Option<usize>), i64>,
    /// Deliveries on order: arrival day, quantity.
    pending: Vec<(i64, i64)>,
    /// Nothing ordered arrives.
    back_order: bool,
    /// The first delivery ordered from this day on comes late (see [`LATE_DELIVERIES`]).
    late_from: Option<i64>,
    patients: usize,
    /// The opening lot's expiry (relative to today) and, when it is not the usual amount, how
    /// many days of use to open with.
    opening_expiry: i64,
    opening_days: Option<f64>,
}

impl ItemSim {
    fn new(item: usize, entry: Entry, plan: &mut Plan, patients: usize) -> ItemSim {
        let mut dice = Dice::seeded(item as u64);
        let ((central_rate, central_size), (ward_rate, ward_size)) = usage(&entry);
        let jitter = 0.7 + 0.6 * dice.unit();

        let mut wards: Vec<usize> = Vec::new();
        if entry.category == Category::Equipment {
            let n = 2 + dice.below(3) as usize;
            let mut pool = vec![ICU, ER, MED, SURG, PAED];
            for _ in 0..n {
                wards.push(pool.remove(dice.below(pool.len() as u64) as usize));
            }
        } else {
            if entry.critical {
                wards.extend([ICU, ER]);
            }
            if entry.paediatric {
                wards.push(PAED);
            }
            let n = match entry.tier {
                0 => 2 + dice.below(2),
                1 => 1 + dice.below(2),
                _ => dice.below(2),
            } as usize;
            let mut pool: Vec<usize> = [ICU, ER, MED, SURG]
                .into_iter()
                .filter(|w| !wards.contains(w))
                .collect();
            while wards.len() < n && !pool.is_empty() {
                wards.push(pool.remove(dice.below(pool.len() as u64) as usize));
            }
        }
        let scenarios = MISSED_TOP_UPS
            .iter()
            .map(|(sku, ward, _)| (*sku, *ward))
            .chain(REPORTED.iter().map(|r| (r.sku, r.location)));
        for (sku, ward) in scenarios {
            if sku == entry.sku && ward >= ICU && !wards.contains(&ward) {
                wards.push(ward);
            }
        }
        wards.sort_unstable();

        let mut points = Vec::new();
        let mut ward_demand = 0.0;
        for &ward in &wards {
            let (rate, size) = if entry.category == Category::Equipment {
                (0.0, 0.0)
            } else {
                (
                    ward_rate * (0.6 + 0.8 * dice.unit()),
                    (ward_size * jitter).max(1.0),
                )
            };
            let demand = rate * size;
            ward_demand += demand;
            let (level, quantity, trigger) = if entry.category == Category::Equipment {
                (1, 2 + dice.between(0, 1), 2)
            } else {
                let level = nice(demand * 3.0).max(if entry.critical { 2 } else { 1 });
                let trigger = level + (demand * 4.0).max(size * 2.0).ceil() as i64;
                let quantity = nice((demand * 14.0).max(((trigger - level) * 2 + 1) as f64));
                (level, quantity, trigger)
            };
            points.push(Point {
                location: ward,
                level,
                quantity,
                trigger,
                rate,
                size,
                no_top_up_from: MISSED_TOP_UPS
                    .iter()
                    .find(|(sku, w, _)| *sku == entry.sku && *w == ward)
                    .map(|(_, _, from)| *from),
                tracking: false,
                low: None,
            });
            plan.overrides.push((item, ward, level, quantity));
        }

        let (rate, size) = (central_rate, (central_size * jitter).max(1.0));
        let direct = rate * size;
        let total = direct + ward_demand;
        let (level, quantity, trigger) = if entry.category == Category::Equipment {
            let quantity = 3 + dice.between(0, 5);
            (2, quantity, 2)
        } else {
            let level = nice(total * 10.0).max(if entry.critical { 10 } else { 2 });
            // Enough above the level to cover the delivery time, a few dispensings and every
            // ward topping up at once.
            let top_ups: i64 = points.iter().map(|p| p.quantity).sum();
            let trigger = level + (total * 5.0 + size * 3.0).ceil() as i64 + top_ups;
            let quantity = nice((total * 40.0).max(trigger as f64));
            (level, quantity, trigger)
        };
        points.insert(
            0,
            Point {
                location: entry.central,
                level,
                quantity,
                trigger,
                rate,
                size,
                no_top_up_from: None,
                tracking: false,
                low: None,
            },
        );
        plan.items.push(PlannedItem {
            entry: entry.clone(),
            level,
            quantity,
        });

        // The opening lot: mostly 3 to 24 months ahead; some expiring within a month (with
        // enough stock that some is left), a few already expired.
        let (opening_expiry, opening_days) = if entry.sku == SHOWCASE {
            (19, Some(78.0))
        } else if BACK_ORDERS.contains(&entry.sku) {
            (dice.between(180, 720), Some(55.0))
        } else if !entry.lot_tracked {
            (dice.between(90, 720), None)
        } else {
            let roll = dice.unit();
            if roll < 0.05 {
                let expires = dice.between(-45, -5);
                (expires, Some((expires - FIRST_DAY) as f64))
            } else if roll < 0.14 {
                (dice.between(3, 30), Some(80.0))
            } else {
                (dice.between(90, 720), None)
            }
        };

        ItemSim {
            item,
            back_order: BACK_ORDERS.contains(&entry.sku),
            late_from: LATE_DELIVERIES
                .iter()
                .find(|(sku, _)| *sku == entry.sku)
                .map(|(_, from)| *from),
            entry,
            dice,
            points,
            lots: Vec::new(),
            stock: BTreeMap::new(),
            pending: Vec::new(),
            patients,
            opening_expiry,
            opening_days,
        }
    }

    /// Units a day the central location loses (its own dispensing and the wards').
    fn central_demand(&self) -> f64 {
        self.points.iter().map(|p| p.rate * p.size).sum()
    }

    fn on_hand(&self, location: usize) -> i64 {
        self.stock
            .iter()
            .filter(|((l, _), _)| *l == location)
            .map(|(_, q)| *q)
            .sum()
    }

    /// Stock at `location` in lots usable until at least `until` (all of it when not
    /// lot-tracked), first expiry first.
    fn usable(&self, location: usize, until: i64) -> Vec<(Option<usize>, i64)> {
        let mut out: Vec<(Option<usize>, i64)> = self
            .stock
            .iter()
            .filter(|((l, lot), q)| {
                *l == location && **q > 0 && lot.is_none_or(|k| self.lots[k].expires >= until)
            })
            .map(|((_, lot), q)| (*lot, *q))
            .collect();
        out.sort_by_key(|(lot, _)| lot.map(|k| (self.lots[k].expires, k)));
        out
    }

    /// Up to `quantity` units from `location`, first expiry first.
    fn take(&self, location: usize, quantity: i64, until: i64) -> Vec<(Option<usize>, i64)> {
        let mut left = quantity;
        let mut out = Vec::new();
        for (lot, available) in self.usable(location, until) {
            if left == 0 {
                break;
            }
            let n = available.min(left);
            out.push((lot, n));
            left -= n;
        }
        out
    }

    fn point_at(&self, location: usize) -> Option<usize> {
        self.points.iter().position(|p| p.location == location)
    }

    /// Records a movement: applies its lines to the stock and follows the low-stock state of
    /// the locations it touched.
    fn record(&mut self, plan: &mut Plan, mut movement: Move) {
        let mut touched: Vec<usize> = movement.lines.iter().map(|l| l.location).collect();
        touched.sort_unstable();
        touched.dedup();
        let before: Vec<i64> = touched.iter().map(|l| self.on_hand(*l)).collect();
        for line in &mut movement.lines {
            let key = (line.location, line.lot.map(|g| self.local_lot(g)));
            *self.stock.entry(key).or_insert(0) += line.delta;
            debug_assert!(
                self.stock[&key] >= 0,
                "negative stock of {}",
                self.entry.sku
            );
        }
        for (location, before) in touched.into_iter().zip(before) {
            let after = self.on_hand(location);
            let Some(p) = self.point_at(location) else {
                continue;
            };
            let point = &mut self.points[p];
            if !point.tracking {
                point.tracking = after > point.level;
                continue;
            }
            if before > point.level && after <= point.level {
                point.low = Some(plan.intervals.len());
                plan.intervals.push(Interval {
                    item: self.item,
                    location,
                    opened: movement.at,
                    level_at_open: after,
                    closed: None,
                });
            } else if before <= point.level && after > point.level {
                if let Some(k) = point.low.take() {
                    plan.intervals[k].closed = Some((movement.at, movement.by, movement.kind));
                }
            }
        }
        plan.movements.push(movement);
    }

    fn local_lot(&self, global: usize) -> usize {
        self.lots
            .iter()
            .position(|l| l.global == global)
            .unwrap_or_default()
    }

    fn run(&mut self, today: NaiveDate, plan: &mut Plan) {
        for day in FIRST_DAY..0 {
            let events = self.events_of(day);
            let mut last_minute = -1;
            for (minute, event) in events {
                let minute = minute.max(last_minute + 1);
                last_minute = minute;
                self.handle(today, day, minute, event, plan);
            }
            self.reorder(day);
        }
    }

    /// The day's events, in time order.
    fn events_of(&mut self, day: i64) -> Vec<(i64, Event)> {
        let mut events = Vec::new();
        let demand = self.central_demand();
        if day == FIRST_DAY {
            let wards: i64 = self.points[1..].iter().map(|p| p.level + p.quantity).sum();
            let (level, trigger, quantity) = (
                self.points[0].level,
                self.points[0].trigger,
                self.points[0].quantity,
            );
            // A back-ordered item opens with what lasts until it is down to its reorder level.
            let base = if self.back_order { level } else { trigger };
            let quantity = match self.opening_days {
                Some(days) => wards + base + (demand * days).ceil() as i64,
                None => wards + trigger + (quantity as f64 * (0.3 + 0.7 * self.dice.unit())) as i64,
            };
            events.push((
                8 * 60 + self.dice.between(0, 60),
                Event::Receive {
                    quantity: nice(quantity as f64),
                    expires: self.opening_expiry,
                    opening: true,
                },
            ));
        }
        let mut arriving = Vec::new();
        self.pending.retain(|(arrival, quantity)| {
            if *arrival == day {
                arriving.push(*quantity);
            }
            *arrival != day
        });
        for quantity in arriving {
            let expires = day + self.dice.between(180, 730);
            let minute = 8 * 60 + self.dice.between(0, 90);
            if self.entry.lot_tracked && self.entry.sku != SHOWCASE && self.dice.chance(0.15) {
                // Two lots in one delivery.
                let first = nice(quantity as f64 * 0.6);
                events.push((
                    minute,
                    Event::Receive {
                        quantity: first,
                        expires,
                        opening: false,
                    },
                ));
                events.push((
                    minute + 1,
                    Event::Receive {
                        quantity: (quantity - first).max(1),
                        expires: expires + self.dice.between(30, 120),
                        opening: false,
                    },
                ));
            } else {
                events.push((
                    minute,
                    Event::Receive {
                        quantity,
                        expires,
                        opening: false,
                    },
                ));
            }
        }
        for point in 1..self.points.len() {
            events.push((
                10 * 60 + self.dice.between(0, 90),
                Event::TopUp {
                    point,
                    opening: day == FIRST_DAY,
                },
            ));
        }
        if day > FIRST_DAY {
            for point in 0..self.points.len() {
                let (rate, size) = (self.points[point].rate, self.points[point].size);
                let ward = point > 0;
                for _ in 0..self.dice.events(rate) {
                    let quantity = if !ward && pack(self.entry.unit) == Pack::Solid {
                        let box_of = if size >= 24.0 { 28.0 } else { 14.0 };
                        let boxes = (size * (0.5 + self.dice.unit()) / box_of).round().max(1.0);
                        (boxes * box_of) as i64
                    } else {
                        (size * (0.5 + self.dice.unit())).round().max(1.0) as i64
                    };
                    let for_patient = self.entry.category == Category::Drug
                        && self.patients > 0
                        && self.dice.chance(if ward { 0.35 } else { 0.75 });
                    let patient =
                        for_patient.then(|| self.dice.below(self.patients as u64) as usize);
                    let minute = if ward {
                        7 * 60 + self.dice.between(0, 930)
                    } else {
                        8 * 60 + 30 + self.dice.between(0, 630)
                    };
                    events.push((
                        minute,
                        Event::Dispense {
                            point,
                            quantity,
                            patient,
                        },
                    ));
                }
                let breakage = if self.entry.category == Category::Equipment {
                    0.002
                } else if ward {
                    0.0006
                } else {
                    0.0012
                };
                if self.dice.chance(breakage) {
                    events.push((13 * 60 + self.dice.between(0, 120), Event::Damage { point }));
                }
                // Monthly stock counts.
                if (day == -61 || day == -31) && self.dice.chance(0.05) {
                    events.push((17 * 60 + self.dice.between(0, 30), Event::Count { point }));
                }
            }
            let expired: Vec<usize> = (0..self.lots.len())
                .filter(|k| {
                    let lot = &self.lots[*k];
                    lot.write_off_after
                        .is_some_and(|after| lot.expires + 1 + after == day)
                })
                .collect();
            for lot in expired {
                events.push((
                    15 * 60 + self.dice.between(0, 60),
                    Event::WriteOffExpired { lot },
                ));
            }
        }
        events.sort_by_key(|(minute, _)| *minute);
        events
    }

    fn handle(&mut self, today: NaiveDate, day: i64, minute: i64, event: Event, plan: &mut Plan) {
        let now = at(today, day, minute);
        let central = self.points[0].location;
        match event {
            Event::Receive {
                quantity,
                expires,
                opening,
            } => {
                let lot = if self.entry.lot_tracked {
                    let global = plan.lots.len();
                    let prefix = LOT_PREFIXES[self.dice.below(LOT_PREFIXES.len() as u64) as usize];
                    let number = format!(
                        "{prefix}{}{:04}-{:02}",
                        (today + Duration::days(day)).year() % 100,
                        self.dice.between(100, 9999),
                        self.lots.len() + 1
                    );
                    plan.lots.push(PlannedLot {
                        item: self.item,
                        number,
                        expires_on: today + Duration::days(expires),
                        received: now,
                    });
                    let write_off_after = if self.dice.chance(0.35) {
                        None
                    } else {
                        Some(self.dice.between(0, 3))
                    };
                    self.lots.push(SimLot {
                        global,
                        expires,
                        write_off_after,
                    });
                    Some(global)
                } else {
                    None
                };
                let reason = if opening {
                    "Opening balance (stock take at go-live)".to_string()
                } else {
                    let supplier = match (self.entry.category, self.entry.central) {
                        (Category::Drug, PHARM) => SUPPLIERS[self.item % 2],
                        _ => SUPPLIERS[2 + self.item % 2],
                    };
                    format!(
                        "Delivery note DN-{:05} from {supplier}",
                        10_000 + plan.movements.len() % 90_000
                    )
                };
                self.record(
                    plan,
                    Move {
                        kind: "receive",
                        item: self.item,
                        from: None,
                        to: Some(central),
                        quantity,
                        patient: None,
                        write_off_reason: None,
                        reason: Some(reason),
                        by: Actor::Pharmacist,
                        at: now,
                        lines: vec![Line {
                            lot,
                            location: central,
                            delta: quantity,
                        }],
                    },
                );
            }
            Event::TopUp { point, opening } => {
                let p = self.points[point].clone();
                // What the ward can still use next week: expiring stock is replaced before it
                // goes.
                let usable: i64 = self
                    .usable(p.location, day + 7)
                    .iter()
                    .map(|(_, n)| n)
                    .sum();
                let wanted = if opening {
                    let par = p.level + p.quantity;
                    (par as f64 * (0.8 + 0.2 * self.dice.unit())).round() as i64
                } else if usable <= p.trigger && p.no_top_up_from.is_none_or(|from| day < from) {
                    p.level + p.quantity - usable
                } else {
                    0
                };
                if wanted <= 0 {
                    return;
                }
                let ward = p.location;
                // Nothing that expires within the week goes to a ward.
                let taken = self.take(central, wanted, day + 7);
                let quantity: i64 = taken.iter().map(|(_, n)| n).sum();
                if quantity == 0 {
                    return;
                }
                let lines = taken
                    .iter()
                    .flat_map(|(lot, n)| {
                        let lot = lot.map(|k| self.lots[k].global);
                        [
                            Line {
                                lot,
                                location: central,
                                delta: -n,
                            },
                            Line {
                                lot,
                                location: ward,
                                delta: *n,
                            },
                        ]
                    })
                    .collect();
                self.record(
                    plan,
                    Move {
                        kind: "transfer",
                        item: self.item,
                        from: Some(central),
                        to: Some(ward),
                        quantity,
                        patient: None,
                        write_off_reason: None,
                        reason: Some(
                            if opening {
                                "Ward opening stock"
                            } else {
                                "Ward top-up"
                            }
                            .into(),
                        ),
                        by: Actor::Pharmacist,
                        at: now,
                        lines,
                    },
                );
            }
            Event::Dispense {
                point,
                quantity,
                patient,
            } => {
                let location = self.points[point].location;
                let taken = self.take(location, quantity, day);
                let quantity: i64 = taken.iter().map(|(_, n)| n).sum();
                if quantity == 0 {
                    return;
                }
                let lines = taken
                    .iter()
                    .map(|(lot, n)| Line {
                        lot: lot.map(|k| self.lots[k].global),
                        location,
                        delta: -n,
                    })
                    .collect();
                let reason = match (patient, point) {
                    (Some(_), _) => None,
                    (None, 0) => Some("Clinic stock".to_string()),
                    (None, _) => Some("Ward use".to_string()),
                };
                self.record(
                    plan,
                    Move {
                        kind: "dispense",
                        item: self.item,
                        from: Some(location),
                        to: None,
                        quantity,
                        patient,
                        write_off_reason: None,
                        reason,
                        by: if point == 0 {
                            Actor::Pharmacist
                        } else {
                            Actor::Nurse
                        },
                        at: now,
                        lines,
                    },
                );
            }
            Event::WriteOffExpired { lot } => {
                let global = self.lots[lot].global;
                let held: Vec<(usize, i64)> = self
                    .stock
                    .iter()
                    .filter(|((_, l), q)| *l == Some(lot) && **q > 0)
                    .map(|((location, _), q)| (*location, *q))
                    .collect();
                for (k, (location, quantity)) in held.into_iter().enumerate() {
                    self.record(
                        plan,
                        Move {
                            kind: "write_off",
                            item: self.item,
                            from: Some(location),
                            to: None,
                            quantity,
                            patient: None,
                            write_off_reason: Some("expired"),
                            reason: Some(format!(
                                "Lot {} expired on {}",
                                plan.lots[global].number, plan.lots[global].expires_on
                            )),
                            by: Actor::Pharmacist,
                            at: now + Duration::seconds(k as i64),
                            lines: vec![Line {
                                lot: Some(global),
                                location,
                                delta: -quantity,
                            }],
                        },
                    );
                }
            }
            Event::Damage { point } => {
                let location = self.points[point].location;
                let Some((lot, available)) = self.usable(location, day).into_iter().next() else {
                    return;
                };
                let quantity = available.min(match pack(self.entry.unit) {
                    Pack::Solid => 28,
                    Pack::Dose if self.entry.category == Category::Drug => {
                        1 + self.dice.between(0, 2)
                    }
                    _ => 1,
                });
                let reason = match (self.entry.category, pack(self.entry.unit)) {
                    (Category::Equipment, _) => "Dropped; failed the electrical safety check",
                    (_, Pack::Solid) => "Blister packs crushed in transit",
                    (Category::Drug, Pack::Dose) => "Broken while preparing the dose",
                    (_, Pack::Container) => "Container leaking",
                    (_, Pack::Box) => "Box water-damaged in the store",
                    _ => "Packaging torn; sterility not assured",
                };
                self.record(
                    plan,
                    Move {
                        kind: "write_off",
                        item: self.item,
                        from: Some(location),
                        to: None,
                        quantity,
                        patient: None,
                        write_off_reason: Some("damaged"),
                        reason: Some(reason.into()),
                        by: Actor::Pharmacist,
                        at: now,
                        lines: vec![Line {
                            lot: lot.map(|k| self.lots[k].global),
                            location,
                            delta: -quantity,
                        }],
                    },
                );
            }
            Event::Count { point } => {
                let location = self.points[point].location;
                let on_hand = self.on_hand(location);
                let Some((lot, available)) = self.usable(location, day).into_iter().next() else {
                    return;
                };
                let size = ((on_hand as f64) * (0.005 + 0.025 * self.dice.unit())).round() as i64;
                let size = size.clamp(1, 50);
                let (delta, reason) = if self.dice.chance(0.6) {
                    (
                        -size.min(available),
                        "Monthly stock count: fewer on the shelf than recorded",
                    )
                } else {
                    (
                        size,
                        "Monthly stock count: returned stock not booked back in",
                    )
                };
                self.record(
                    plan,
                    Move {
                        kind: "adjust",
                        item: self.item,
                        from: (delta < 0).then_some(location),
                        to: (delta > 0).then_some(location),
                        quantity: delta.abs(),
                        patient: None,
                        write_off_reason: None,
                        reason: Some(reason.into()),
                        by: Actor::Pharmacist,
                        at: now,
                        lines: vec![Line {
                            lot: lot.map(|k| self.lots[k].global),
                            location,
                            delta,
                        }],
                    },
                );
            }
        }
    }

    /// At the end of the day: order from the supplier when the central stock that will still
    /// be usable in a month, with what is on order, is at or below the order point.
    fn reorder(&mut self, day: i64) {
        let (location, level, trigger, quantity) = (
            self.points[0].location,
            self.points[0].level,
            self.points[0].trigger,
            self.points[0].quantity,
        );
        // A late delivery turns up a few days after the stock fell to the reorder level.
        if self.on_hand(location) <= level {
            let arrival = day + self.dice.between(2, 4);
            for (when, _) in &mut self.pending {
                if *when == LATE {
                    *when = arrival;
                }
            }
        }
        if self.pending.iter().any(|(when, _)| *when == NEVER) {
            return;
        }
        let usable: i64 = self.usable(location, day + 30).iter().map(|(_, n)| n).sum();
        let on_order: i64 = self.pending.iter().map(|(_, n)| n).sum();
        if usable + on_order <= trigger {
            let quantity = nice(quantity as f64 * (0.9 + 0.3 * self.dice.unit()));
            let arrival = if self.back_order {
                NEVER
            } else if self.late_from.is_some_and(|from| day >= from) {
                self.late_from = None;
                LATE
            } else {
                day + self.dice.between(2, 4)
            };
            self.pending.push((arrival, quantity));
        }
    }
}

/// Shortages the system opened when a movement took a level to or below the reorder level:
/// resolved when stock came back; the live ones open or acknowledged, and one dismissed.
fn automatic_shortages(today: NaiveDate, plan: &mut Plan) {
    let mut dismissed_one = false;
    let mut order_number = 0;
    for k in 0..plan.intervals.len() {
        let interval = plan.intervals[k].clone();
        let item = &plan.items[interval.item];
        let level = if interval.location == item.entry.central {
            item.level
        } else {
            plan.overrides
                .iter()
                .find(|(i, l, _, _)| *i == interval.item && *l == interval.location)
                .map_or(item.level, |o| o.2)
        };
        let severity = if item.entry.critical {
            "critical"
        } else if interval.level_at_open == 0 {
            "high"
        } else if interval.level_at_open * 2 <= level {
            "medium"
        } else {
            "low"
        };
        let opened = interval.opened;
        // Same day, never after 23:30.
        let same_day = |minutes: i64| {
            let late = opened.date().and_time(NaiveTime::MIN) + Duration::minutes(23 * 60 + 30);
            (opened + Duration::minutes(minutes)).min(late.max(opened + Duration::minutes(1)))
        };
        let mut events = vec![PlannedEvent {
            from: None,
            to: "open",
            by: Actor::Pharmacist,
            at: opened,
            note: None,
        }];
        let mut status = "open";
        let mut order_reference = None;
        let mut resolution = None;
        let central = interval.location == item.entry.central;
        match interval.closed {
            Some((closed, by, kind)) => {
                let acknowledged = same_day(40);
                if acknowledged < closed {
                    events.push(PlannedEvent {
                        from: Some("open"),
                        to: "acknowledged",
                        by: Actor::Pharmacist,
                        at: acknowledged,
                        note: None,
                    });
                    status = "acknowledged";
                    let ordered = same_day(150);
                    if central && ordered < closed && ordered > acknowledged {
                        order_number += 1;
                        let reference = format!("PO-{}-{:04}", ordered.year(), 300 + order_number);
                        events.push(PlannedEvent {
                            from: Some("acknowledged"),
                            to: "ordered",
                            by: Actor::Pharmacist,
                            at: ordered,
                            note: Some(format!("Ordered {} {}", item.quantity, item.entry.unit)),
                        });
                        order_reference = Some(reference);
                        status = "ordered";
                    }
                }
                events.push(PlannedEvent {
                    from: Some(status),
                    to: "resolved",
                    by,
                    at: closed,
                    note: Some(
                        if kind == "receive" {
                            "Stock received; level back above the reorder level"
                        } else {
                            "Topped up; level back above the reorder level"
                        }
                        .into(),
                    ),
                });
                status = "resolved";
            }
            None => {
                let age = today.and_time(NaiveTime::MIN) - opened;
                if !dismissed_one
                    && !central
                    && !item.entry.critical
                    && !BACK_ORDERS.contains(&item.entry.sku)
                {
                    dismissed_one = true;
                    let reason = "Par level under review while six beds are closed; the ward \
                                  draws on the pharmacy meanwhile.";
                    events.push(PlannedEvent {
                        from: Some("open"),
                        to: "dismissed",
                        by: Actor::Pharmacist,
                        at: same_day(90),
                        note: Some(reason.into()),
                    });
                    resolution = Some(reason.to_string());
                    status = "dismissed";
                } else if age > Duration::days(3) {
                    let held = central && BACK_ORDERS.contains(&item.entry.sku);
                    events.push(PlannedEvent {
                        from: Some("open"),
                        to: "acknowledged",
                        by: Actor::Pharmacist,
                        at: same_day(35),
                        note: held.then(|| {
                            "Supplier on back-order; looking for an alternative source".to_string()
                        }),
                    });
                    status = "acknowledged";
                }
            }
        }
        plan.shortages.push(PlannedShortage {
            item: interval.item,
            location: interval.location,
            status,
            severity,
            source: "automatic",
            note: None,
            level_at_open: Some(interval.level_at_open),
            order_reference,
            resolution,
            events,
        });
    }
}

/// Units of `item` at `location` just after `time`, replaying the planned movements.
fn on_hand_at(plan: &Plan, item: usize, location: usize, time: NaiveDateTime) -> i64 {
    plan.movements
        .iter()
        .filter(|m| m.item == item && m.at <= time)
        .flat_map(|m| &m.lines)
        .filter(|l| l.location == location)
        .map(|l| l.delta)
        .sum()
}

/// Shortages staff reported by hand.
fn reported_shortages(today: NaiveDate, plan: &mut Plan) {
    let by_sku: HashMap<&str, usize> = plan
        .items
        .iter()
        .enumerate()
        .map(|(k, i)| (i.entry.sku, k))
        .collect();
    for (n, r) in REPORTED.iter().enumerate() {
        let Some(&item) = by_sku.get(r.sku) else {
            continue;
        };
        let opened = at(today, r.day, r.minute);
        let mut events = vec![PlannedEvent {
            from: None,
            to: "open",
            by: r.by,
            at: opened,
            note: Some(r.note.into()),
        }];
        let mut step = |from: &'static str, to: &'static str, after: i64, note: Option<&str>| {
            events.push(PlannedEvent {
                from: Some(from),
                to,
                by: Actor::Pharmacist,
                at: opened + Duration::minutes(after),
                note: note.map(str::to_string),
            });
        };
        let mut order_reference = None;
        let mut resolution = None;
        let status = match r.outcome {
            Outcome::Open => "open",
            Outcome::Acknowledged => {
                step(
                    "open",
                    "acknowledged",
                    25,
                    Some("Checking the other ward stores first"),
                );
                "acknowledged"
            }
            Outcome::Ordered => {
                step("open", "acknowledged", 20, None);
                step("acknowledged", "ordered", 95, Some("Urgent order placed"));
                order_reference = Some(format!("PO-{}-{:04}", opened.year(), 900 + n));
                "ordered"
            }
            Outcome::Resolved(note) => {
                step("open", "acknowledged", 15, None);
                step("acknowledged", "resolved", 140, Some(note));
                "resolved"
            }
            Outcome::Dismissed(why) => {
                step("open", "dismissed", 50, Some(why));
                resolution = Some(why.to_string());
                "dismissed"
            }
        };
        let level_at_open = on_hand_at(plan, item, r.location, opened);
        plan.shortages.push(PlannedShortage {
            item,
            location: r.location,
            status,
            severity: r.severity,
            source: "reported",
            note: Some(r.note.into()),
            level_at_open: Some(level_at_open),
            order_reference,
            resolution,
            events,
        });
    }
}

/// The demo accounts that appear in the inventory.
struct Staff {
    pharmacist: Uuid,
    nurse: Uuid,
    doctor: Uuid,
}

impl Staff {
    fn id(&self, actor: Actor) -> Uuid {
        match actor {
            Actor::Pharmacist => self.pharmacist,
            Actor::Nurse => self.nurse,
            Actor::Doctor => self.doctor,
        }
    }
}

pub fn seed(conn: &mut PgConnection) -> anyhow::Result<()> {
    // Demo stock never mixes with stock someone has already recorded.
    let existing: i64 = stock_items::table.count().get_result(conn)?;
    let existing_locations: i64 = stock_locations::table.count().get_result(conn)?;
    if existing + existing_locations > 0 {
        log::info!("the inventory is not empty; the demo inventory is not loaded");
        return Ok(());
    }
    let time_zone = hospital_time_zone(conn)?;
    let today = local_now(conn, &time_zone)?.date();
    let account = |conn: &mut PgConnection, email: &str| -> QueryResult<Uuid> {
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(conn)
    };
    let staff = Staff {
        pharmacist: account(conn, "pharmacist@demo.hms")?,
        nurse: account(conn, "nurse@demo.hms")?,
        doctor: account(conn, "doctor@demo.hms")?,
    };
    let patient_ids: Vec<Uuid> = patients::table
        .filter(patients::active.eq(true))
        .order(patients::mrn.asc())
        .select(patients::id)
        .load(conn)?;
    let plan = plan(today, patient_ids.len());
    insert(conn, &time_zone, today, &plan, &staff, &patient_ids)?;
    Ok(())
}

fn insert(
    conn: &mut PgConnection,
    time_zone: &str,
    today: NaiveDate,
    plan: &Plan,
    staff: &Staff,
    patient_ids: &[Uuid],
) -> QueryResult<()> {
    let set_up = at(today, FIRST_DAY - 7, 9 * 60);
    let location_ids: Vec<Uuid> = LOCATIONS.iter().map(|_| Uuid::new_v4()).collect();
    diesel::sql_query(
        "INSERT INTO stock_locations (id, code, name, kind, created_at)
         SELECT id, code, name, kind, $5::timestamp AT TIME ZONE $6
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(id, code, name, kind)",
    )
    .bind::<Array<SqlUuid>, _>(&location_ids)
    .bind::<Array<Text>, _>(LOCATIONS.iter().map(|l| l.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(LOCATIONS.iter().map(|l| l.1).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(LOCATIONS.iter().map(|l| l.2).collect::<Vec<_>>())
    .bind::<Timestamp, _>(set_up)
    .bind::<Text, _>(time_zone)
    .execute(conn)?;

    let item_ids: Vec<Uuid> = plan.items.iter().map(|_| Uuid::new_v4()).collect();
    let items = &plan.items;
    diesel::sql_query(
        "INSERT INTO stock_items (id, sku, name, category, unit, reorder_level, reorder_quantity,
                                  critical, lot_tracked, created_at, updated_at)
         SELECT id, sku, name, category, unit, reorder_level, reorder_quantity, critical,
                lot_tracked, $10::timestamp AT TIME ZONE $11, $10::timestamp AT TIME ZONE $11
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[],
                       $7::int4[], $8::bool[], $9::bool[])
                AS t(id, sku, name, category, unit, reorder_level, reorder_quantity, critical,
                     lot_tracked)",
    )
    .bind::<Array<SqlUuid>, _>(&item_ids)
    .bind::<Array<Text>, _>(items.iter().map(|i| i.entry.sku).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(items.iter().map(|i| i.entry.name).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        items
            .iter()
            .map(|i| i.entry.category.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(items.iter().map(|i| i.entry.unit).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(items.iter().map(|i| i.level as i32).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(items.iter().map(|i| i.quantity as i32).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(items.iter().map(|i| i.entry.critical).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(
        items
            .iter()
            .map(|i| i.entry.lot_tracked)
            .collect::<Vec<_>>(),
    )
    .bind::<Timestamp, _>(set_up)
    .bind::<Text, _>(time_zone)
    .execute(conn)?;

    let o = &plan.overrides;
    diesel::sql_query(
        "INSERT INTO stock_reorder_levels (item_id, location_id, reorder_level, reorder_quantity)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::int4[])",
    )
    .bind::<Array<SqlUuid>, _>(o.iter().map(|x| item_ids[x.0]).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(o.iter().map(|x| location_ids[x.1]).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(o.iter().map(|x| x.2 as i32).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(o.iter().map(|x| x.3 as i32).collect::<Vec<_>>())
    .execute(conn)?;

    let lot_ids: Vec<Uuid> = plan.lots.iter().map(|_| Uuid::new_v4()).collect();
    let lots = &plan.lots;
    diesel::sql_query(
        "INSERT INTO stock_lots (id, item_id, lot_number, expires_on, created_at)
         SELECT id, item_id, lot_number, expires_on, received AT TIME ZONE $6
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::timestamp[])
                AS t(id, item_id, lot_number, expires_on, received)",
    )
    .bind::<Array<SqlUuid>, _>(&lot_ids)
    .bind::<Array<SqlUuid>, _>(lots.iter().map(|l| item_ids[l.item]).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(lots.iter().map(|l| l.number.as_str()).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(lots.iter().map(|l| l.expires_on).collect::<Vec<_>>())
    .bind::<Array<Timestamp>, _>(lots.iter().map(|l| l.received).collect::<Vec<_>>())
    .bind::<Text, _>(time_zone)
    .execute(conn)?;

    let movement_ids: Vec<Uuid> = plan.movements.iter().map(|_| Uuid::new_v4()).collect();
    let moves = &plan.movements;
    let patient = |k: Option<usize>| k.and_then(|k| patient_ids.get(k).copied());
    diesel::sql_query(
        "INSERT INTO stock_movements (id, kind, item_id, from_location_id, to_location_id,
                                      quantity, patient_id, write_off_reason, reason,
                                      performed_by, performed_at)
         SELECT id, kind, item_id, from_id, to_id, quantity, patient_id, write_off_reason, reason,
                performed_by, performed_at AT TIME ZONE $12
           FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::int4[],
                       $7::uuid[], $8::text[], $9::text[], $10::uuid[], $11::timestamp[])
                WITH ORDINALITY
                AS t(id, kind, item_id, from_id, to_id, quantity, patient_id, write_off_reason,
                     reason, performed_by, performed_at, n)
          ORDER BY n",
    )
    .bind::<Array<SqlUuid>, _>(&movement_ids)
    .bind::<Array<Text>, _>(moves.iter().map(|m| m.kind).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(moves.iter().map(|m| item_ids[m.item]).collect::<Vec<_>>())
    .bind::<Array<Nullable<SqlUuid>>, _>(
        moves
            .iter()
            .map(|m| m.from.map(|l| location_ids[l]))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<SqlUuid>>, _>(
        moves
            .iter()
            .map(|m| m.to.map(|l| location_ids[l]))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Int4>, _>(moves.iter().map(|m| m.quantity as i32).collect::<Vec<_>>())
    .bind::<Array<Nullable<SqlUuid>>, _>(
        moves.iter().map(|m| patient(m.patient)).collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(moves.iter().map(|m| m.write_off_reason).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        moves
            .iter()
            .map(|m| m.reason.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(moves.iter().map(|m| staff.id(m.by)).collect::<Vec<_>>())
    .bind::<Array<Timestamp>, _>(moves.iter().map(|m| m.at).collect::<Vec<_>>())
    .bind::<Text, _>(time_zone)
    .execute(conn)?;

    let lines: Vec<(usize, &Line)> = moves
        .iter()
        .enumerate()
        .flat_map(|(k, m)| m.lines.iter().map(move |l| (k, l)))
        .collect();
    diesel::sql_query(
        "INSERT INTO stock_ledger (movement_id, item_id, lot_id, location_id, delta)
         SELECT movement_id, item_id, lot_id, location_id, delta
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int4[])
                WITH ORDINALITY AS t(movement_id, item_id, lot_id, location_id, delta, n)
          ORDER BY n",
    )
    .bind::<Array<SqlUuid>, _>(
        lines
            .iter()
            .map(|(k, _)| movement_ids[*k])
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(
        lines
            .iter()
            .map(|(k, _)| item_ids[moves[*k].item])
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<SqlUuid>>, _>(
        lines
            .iter()
            .map(|(_, l)| l.lot.map(|g| lot_ids[g]))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(
        lines
            .iter()
            .map(|(_, l)| location_ids[l.location])
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Int4>, _>(
        lines
            .iter()
            .map(|(_, l)| l.delta as i32)
            .collect::<Vec<_>>(),
    )
    .execute(conn)?;

    // The balances are the ledger's sums, by construction.
    diesel::sql_query(
        "INSERT INTO stock_balances (item_id, lot_id, location_id, quantity)
         SELECT l.item_id, l.lot_id, l.location_id, sum(l.delta)
           FROM stock_ledger l
          WHERE l.item_id = ANY($1)
          GROUP BY l.item_id, l.lot_id, l.location_id
          ORDER BY l.item_id, l.location_id, l.lot_id",
    )
    .bind::<Array<SqlUuid>, _>(&item_ids)
    .execute(conn)?;

    let shortage_ids: Vec<Uuid> = plan.shortages.iter().map(|_| Uuid::new_v4()).collect();
    let s = &plan.shortages;
    let first = |x: &PlannedShortage| x.events.first().map(|e| e.at).unwrap_or(set_up);
    let last = |x: &PlannedShortage| x.events.last().map(|e| e.at).unwrap_or(set_up);
    diesel::sql_query(
        "INSERT INTO shortages (id, item_id, location_id, status, severity, source, critical_item,
                                note, level_at_open, order_reference, resolution, opened_by,
                                opened_at, updated_at, closed_at, version)
         SELECT id, item_id, location_id, status, severity, source, critical_item, note,
                level_at_open, order_reference, resolution, opened_by,
                opened_at AT TIME ZONE $17, updated_at AT TIME ZONE $17,
                CASE WHEN status IN ('resolved', 'dismissed') THEN updated_at AT TIME ZONE $17 END,
                version
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                       $7::bool[], $8::text[], $9::int8[], $10::text[], $11::text[], $12::uuid[],
                       $13::timestamp[], $14::timestamp[], $15::int4[], $16::int4[])
                AS t(id, item_id, location_id, status, severity, source, critical_item, note,
                     level_at_open, order_reference, resolution, opened_by, opened_at,
                     updated_at, version, n)
          ORDER BY n",
    )
    .bind::<Array<SqlUuid>, _>(&shortage_ids)
    .bind::<Array<SqlUuid>, _>(s.iter().map(|x| item_ids[x.item]).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(
        s.iter()
            .map(|x| location_ids[x.location])
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(s.iter().map(|x| x.status).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(s.iter().map(|x| x.severity).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(s.iter().map(|x| x.source).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(
        s.iter()
            .map(|x| items[x.item].entry.critical)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(s.iter().map(|x| x.note.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Int8>>, _>(s.iter().map(|x| x.level_at_open).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        s.iter()
            .map(|x| x.order_reference.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(
        s.iter()
            .map(|x| x.resolution.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<SqlUuid>, _>(
        s.iter()
            .map(|x| staff.id(x.events.first().map_or(Actor::Pharmacist, |e| e.by)))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamp>, _>(s.iter().map(first).collect::<Vec<_>>())
    .bind::<Array<Timestamp>, _>(s.iter().map(last).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(s.iter().map(|x| x.events.len() as i32).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>((0..s.len() as i32).collect::<Vec<_>>())
    .bind::<Text, _>(time_zone)
    .execute(conn)?;

    let events: Vec<(usize, &PlannedEvent)> = s
        .iter()
        .enumerate()
        .flat_map(|(k, x)| x.events.iter().map(move |e| (k, e)))
        .collect();
    diesel::sql_query(
        "INSERT INTO shortage_events (shortage_id, from_status, to_status, by_user, at, note)
         SELECT shortage_id, from_status, to_status, by_user, at AT TIME ZONE $7, note
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::timestamp[],
                       $6::text[])
                WITH ORDINALITY AS t(shortage_id, from_status, to_status, by_user, at, note, n)
          ORDER BY n",
    )
    .bind::<Array<SqlUuid>, _>(
        events
            .iter()
            .map(|(k, _)| shortage_ids[*k])
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(events.iter().map(|(_, e)| e.from).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(events.iter().map(|(_, e)| e.to).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(
        events
            .iter()
            .map(|(_, e)| staff.id(e.by))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamp>, _>(events.iter().map(|(_, e)| e.at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        events
            .iter()
            .map(|(_, e)| e.note.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Text, _>(time_zone)
    .execute(conn)?;
    Ok(())
}

/// The hospital's time zone as the server reads it (`HMS_TIMEZONE`, through `config`), or UTC
/// when the settings are incomplete or name a zone PostgreSQL does not know; as the schedule's.
fn hospital_time_zone(conn: &mut PgConnection) -> QueryResult<String> {
    let zone = Settings::from_env()
        .map(|s| s.time_zone)
        .unwrap_or_else(|_| "UTC".into());
    if crate::scheduling::repo::time_zone_exists(conn, &zone)? {
        Ok(zone)
    } else {
        Ok("UTC".into())
    }
}

/// The wall-clock time now in `time_zone`.
fn local_now(conn: &mut PgConnection, time_zone: &str) -> QueryResult<NaiveDateTime> {
    #[derive(QueryableByName)]
    struct Now {
        #[diesel(sql_type = Timestamp)]
        now: NaiveDateTime,
    }
    diesel::sql_query("SELECT (now() AT TIME ZONE $1) AS now")
        .bind::<Text, _>(time_zone)
        .get_result::<Now>(conn)
        .map(|n| n.now)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default()
    }

    type Stock = HashMap<(usize, usize, Option<usize>), i64>;

    /// Replays the movements in time order, checking that no lot at no location goes negative.
    fn replay(plan: &Plan) -> Stock {
        let mut stock = Stock::new();
        for m in &plan.movements {
            for l in &m.lines {
                let q = stock.entry((m.item, l.location, l.lot)).or_insert(0);
                *q += l.delta;
                assert!(
                    *q >= 0,
                    "{} went negative at {}",
                    plan.items[m.item].entry.sku,
                    m.at
                );
            }
        }
        stock
    }

    fn on_hand(stock: &Stock, item: usize, location: usize) -> i64 {
        stock
            .iter()
            .filter(|((i, l, _), _)| *i == item && *l == location)
            .map(|(_, q)| q)
            .sum()
    }

    fn level(plan: &Plan, item: usize, location: usize) -> i64 {
        plan.overrides
            .iter()
            .find(|o| o.0 == item && o.1 == location)
            .map_or(plan.items[item].level, |o| o.2)
    }

    #[test]
    fn the_catalogue_has_a_few_hundred_valid_unique_items() {
        let items = catalogue();
        assert!(items.len() >= 250, "{} items", items.len());
        let skus: HashSet<&str> = items.iter().map(|i| i.sku).collect();
        let names: HashSet<&str> = items.iter().map(|i| i.name).collect();
        assert_eq!(skus.len(), items.len(), "SKUs are unique");
        assert_eq!(names.len(), items.len(), "names are unique");
        for item in &items {
            let sku = item.sku.as_bytes();
            assert!(
                sku.len() <= 40 && sku[0].is_ascii_alphanumeric(),
                "{}",
                item.sku
            );
            assert!(
                sku.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c)),
                "{}",
                item.sku
            );
            assert!(!item.name.is_empty() && item.name.len() <= 200);
            assert!(!item.unit.is_empty() && item.unit.len() <= 40);
        }
        let critical = items.iter().filter(|i| i.critical).count();
        assert!(
            (items.len() / 14..=items.len() / 7).contains(&critical),
            "{critical} critical"
        );
        for (code, name, _) in LOCATIONS {
            assert!(code.len() <= 20 && !name.is_empty());
            assert!(code
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-'));
        }
        let known: HashSet<&str> = BACK_ORDERS
            .iter()
            .copied()
            .chain(LATE_DELIVERIES.iter().map(|l| l.0))
            .chain(MISSED_TOP_UPS.iter().map(|m| m.0))
            .chain(REPORTED.iter().map(|r| r.sku))
            .chain([SHOWCASE])
            .collect();
        assert!(known.is_subset(&skus), "every scenario names a known item");
    }

    #[test]
    fn the_plan_is_the_same_every_time() {
        let a = plan(today(), 320);
        let b = plan(today(), 320);
        assert_eq!(format!("{:?}", a.movements), format!("{:?}", b.movements));
        assert_eq!(format!("{:?}", a.lots), format!("{:?}", b.lots));
        assert_eq!(format!("{:?}", a.shortages), format!("{:?}", b.shortages));
    }

    #[test]
    fn every_movement_has_the_lines_of_its_kind_and_stock_never_goes_negative() {
        let today = today();
        let plan = plan(today, 320);
        replay(&plan);
        let mut last = NaiveDateTime::MIN;
        for m in &plan.movements {
            assert!(m.at >= last, "movements are in time order");
            last = m.at;
            assert!(m.at < today.and_time(NaiveTime::MIN), "in the past");
            assert!(m.at >= at(today, FIRST_DAY, 0), "within the history");
            assert!(m.quantity > 0);
            let net: i64 = m.lines.iter().map(|l| l.delta).sum();
            let at_from: i64 = m
                .lines
                .iter()
                .filter(|l| Some(l.location) == m.from)
                .map(|l| l.delta)
                .sum();
            match m.kind {
                "receive" => assert!(m.from.is_none() && m.to.is_some() && net == m.quantity),
                "dispense" | "write_off" => {
                    assert!(m.from.is_some() && m.to.is_none() && net == -m.quantity)
                }
                "transfer" => {
                    assert!(m.from.is_some() && m.to.is_some() && m.from != m.to);
                    assert!(net == 0 && at_from == -m.quantity);
                }
                "adjust" => assert!(net.abs() == m.quantity && m.reason.is_some()),
                other => panic!("unknown kind {other}"),
            }
            assert_eq!(m.kind == "write_off", m.write_off_reason.is_some());
            for l in &m.lines {
                assert_ne!(l.delta, 0);
                assert!(Some(l.location) == m.from || Some(l.location) == m.to);
                assert_eq!(l.lot.is_some(), plan.items[m.item].entry.lot_tracked);
                if let Some(lot) = l.lot {
                    assert_eq!(plan.lots[lot].item, m.item);
                    if m.kind == "dispense" || m.kind == "transfer" {
                        assert!(
                            plan.lots[lot].expires_on >= m.at.date(),
                            "nothing expired is used"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn some_items_end_low_and_each_place_has_one_live_automatic_shortage_at_most() {
        let plan = plan(today(), 320);
        let stock = replay(&plan);
        let places: HashSet<(usize, usize)> = stock.keys().map(|(i, l, _)| (*i, *l)).collect();
        let low: Vec<&(usize, usize)> = places
            .iter()
            .filter(|(i, l)| on_hand(&stock, *i, *l) <= level(&plan, *i, *l))
            .collect();
        assert!((5..=30).contains(&low.len()), "{} places low", low.len());

        let mut live = HashSet::new();
        for s in &plan.shortages {
            assert_eq!(s.events[0].from, None);
            assert_eq!(s.events[0].to, "open");
            for pair in s.events.windows(2) {
                assert_eq!(pair[1].from, Some(pair[0].to));
                assert!(pair[1].at > pair[0].at);
            }
            assert_eq!(s.events.last().map(|e| e.to), Some(s.status));
            assert_eq!(s.status == "dismissed", s.resolution.is_some());
            if s.source == "automatic" && ["open", "acknowledged", "ordered"].contains(&s.status) {
                assert!(
                    live.insert((s.item, s.location)),
                    "one live automatic shortage"
                );
                assert!(on_hand(&stock, s.item, s.location) <= level(&plan, s.item, s.location));
            }
        }
        let statuses: HashSet<(&str, &str)> = plan
            .shortages
            .iter()
            .map(|s| (s.source, s.status))
            .collect();
        for expected in [
            ("automatic", "open"),
            ("automatic", "acknowledged"),
            ("automatic", "resolved"),
            ("reported", "open"),
            ("reported", "dismissed"),
        ] {
            assert!(statuses.contains(&expected), "{expected:?}");
        }
    }

    #[test]
    fn amoxicillin_has_two_lots_in_the_pharmacy_one_expiring_soon() {
        let today = today();
        let plan = plan(today, 320);
        let stock = replay(&plan);
        let amox = plan
            .items
            .iter()
            .position(|i| i.entry.sku == SHOWCASE)
            .unwrap_or_default();
        let lots: Vec<&PlannedLot> = stock
            .iter()
            .filter(|((i, l, _), q)| *i == amox && *l == PHARM && **q > 0)
            .filter_map(|((_, _, lot), _)| lot.map(|k| &plan.lots[k]))
            .collect();
        assert_eq!(lots.len(), 2);
        assert!(lots
            .iter()
            .any(|l| l.expires_on <= today + Duration::days(30)));
        assert!(on_hand(&stock, amox, PHARM) > plan.items[amox].level);
    }
}
