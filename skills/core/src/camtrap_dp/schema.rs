//! The Camtrap DP 1.0.2 rules, written down as data: the three table schemas
//! (`deployments-table-schema.json`, `media-table-schema.json`,
//! `observations-table-schema.json`) and the facts of the package profile
//! (`camtrap-dp-profile.json`) that validation needs.
//!
//! These tables are our own transcription of the official files; the test suite reads the
//! official files (kept under `tests/fixtures/camtrap-dp/official/`) and checks that every
//! name, type, `required` flag, `unique` flag, enum list, minimum, maximum, pattern, primary
//! key and foreign key here matches them.

/// The Camtrap DP version we read and write.
pub const VERSION: &str = "1.0.2";

/// `profile` of a Camtrap DP 1.0.2 package.
pub const PROFILE_URL: &str = "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json";

/// The `missingValues` of all three table schemas: cells holding one of these are empty.
pub const MISSING_VALUES: &[&str] = &["", "NA", "NaN", "nan"];

/// A Table Schema field type, as used by the Camtrap DP table schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `string`.
    String,
    /// `number` (decimal, optional exponent).
    Number,
    /// `integer`.
    Integer,
    /// `boolean` (`true`/`false`; Table Schema also accepts `True`, `TRUE`, `1`, ...).
    Boolean,
    /// `datetime` with format `%Y-%m-%dT%H:%M:%S%z` (a zone is required).
    Datetime,
    /// `any`.
    Any,
}

impl FieldType {
    /// The Table Schema spelling (`"string"`, `"number"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Datetime => "datetime",
            FieldType::Any => "any",
        }
    }
}

/// One field (column) of a table schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSchema {
    /// Column name, e.g. `deploymentID`.
    pub name: &'static str,
    /// Value type.
    pub field_type: FieldType,
    /// `constraints.required`: the cell may not be empty.
    pub required: bool,
    /// `constraints.unique`.
    pub unique: bool,
    /// `constraints.enum` (empty: no enum).
    pub enum_values: &'static [&'static str],
    /// `constraints.minimum`.
    pub minimum: Option<f64>,
    /// `constraints.maximum`.
    pub maximum: Option<f64>,
    /// `constraints.pattern`, as written in the official schema (checked by our own code:
    /// this crate has no regular-expression engine).
    pub pattern: Option<&'static str>,
    /// `format` (datetime fields only).
    pub format: Option<&'static str>,
}

/// A foreign key of a table schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKey {
    /// The column of this table.
    pub field: &'static str,
    /// The referenced resource (table).
    pub resource: &'static str,
    /// The referenced column.
    pub reference_field: &'static str,
}

/// One Camtrap DP table schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableSchema {
    /// Resource name: `deployments`, `media` or `observations`.
    pub name: &'static str,
    /// Fields in schema order (also the CSV column order).
    pub fields: &'static [FieldSchema],
    /// `primaryKey`.
    pub primary_key: &'static str,
    /// `foreignKeys`.
    pub foreign_keys: &'static [ForeignKey],
}

impl TableSchema {
    /// The default file name (`deployments.csv`, ...).
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.name)
    }

    /// URL of the official 1.0.2 table schema, as written in `datapackage.json`.
    pub fn schema_url(&self) -> String {
        format!(
            "https://raw.githubusercontent.com/tdwg/camtrap-dp/{VERSION}/{}-table-schema.json",
            self.name
        )
    }

    /// Index of a field by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field names in order (the CSV header).
    pub fn header(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }
}

const DATETIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%z";

const fn field(name: &'static str, field_type: FieldType) -> FieldSchema {
    FieldSchema {
        name,
        field_type,
        required: false,
        unique: false,
        enum_values: &[],
        minimum: None,
        maximum: None,
        pattern: None,
        format: if matches!(field_type, FieldType::Datetime) {
            Some(DATETIME_FORMAT)
        } else {
            None
        },
    }
}

const fn string(name: &'static str) -> FieldSchema {
    field(name, FieldType::String)
}

const fn required(mut f: FieldSchema) -> FieldSchema {
    f.required = true;
    f
}

const fn unique(mut f: FieldSchema) -> FieldSchema {
    f.unique = true;
    f
}

const fn one_of(mut f: FieldSchema, values: &'static [&'static str]) -> FieldSchema {
    f.enum_values = values;
    f
}

const fn min(mut f: FieldSchema, v: f64) -> FieldSchema {
    f.minimum = Some(v);
    f
}

const fn range(mut f: FieldSchema, lo: f64, hi: f64) -> FieldSchema {
    f.minimum = Some(lo);
    f.maximum = Some(hi);
    f
}

const fn pattern(mut f: FieldSchema, p: &'static str) -> FieldSchema {
    f.pattern = Some(p);
    f
}

use FieldType::{Any, Boolean, Datetime, Integer, Number};

/// `featureType` values.
pub const FEATURE_TYPES: &[&str] = &[
    "roadPaved",
    "roadDirt",
    "trailHiking",
    "trailGame",
    "roadUnderpass",
    "roadOverpass",
    "roadBridge",
    "culvert",
    "burrow",
    "nestSite",
    "carcass",
    "waterSource",
    "fruitingTree",
];
/// `captureMethod` values (media table and `project.captureMethod`).
pub const CAPTURE_METHODS: &[&str] = &["activityDetection", "timeLapse"];
/// `observationLevel` values (observations table and `project.observationLevel`).
pub const OBSERVATION_LEVELS: &[&str] = &["media", "event"];
/// `observationType` values.
pub const OBSERVATION_TYPES: &[&str] = &["animal", "human", "vehicle", "blank", "unknown", "unclassified"];
/// `cameraSetupType` values.
pub const CAMERA_SETUP_TYPES: &[&str] = &["setup", "calibration"];
/// `lifeStage` values.
pub const LIFE_STAGES: &[&str] = &["adult", "subadult", "juvenile"];
/// `sex` values.
pub const SEXES: &[&str] = &["female", "male"];
/// `classificationMethod` values.
pub const CLASSIFICATION_METHODS: &[&str] = &["human", "machine"];

/// `media.filePath` pattern: not starting with `.`, `/` or `~`, and no `..` anywhere.
pub const FILE_PATH_PATTERN: &str = r"^(?=^[^./~])(^((?!\.{2}).)*$).*$";
/// `media.fileMediatype` pattern.
pub const MEDIATYPE_PATTERN: &str = r"^(image|video|audio)/.*$";

/// `deployments-table-schema.json`, field by field.
pub const DEPLOYMENTS: TableSchema = TableSchema {
    name: "deployments",
    fields: &[
        required(unique(string("deploymentID"))),
        string("locationID"),
        string("locationName"),
        required(range(field("latitude", Number), -90.0, 90.0)),
        required(range(field("longitude", Number), -180.0, 180.0)),
        min(field("coordinateUncertainty", Integer), 1.0),
        required(field("deploymentStart", Datetime)),
        required(field("deploymentEnd", Datetime)),
        string("setupBy"),
        string("cameraID"),
        string("cameraModel"),
        min(field("cameraDelay", Integer), 0.0),
        min(field("cameraHeight", Number), 0.0),
        min(field("cameraDepth", Number), 0.0),
        range(field("cameraTilt", Integer), -90.0, 90.0),
        range(field("cameraHeading", Integer), 0.0, 360.0),
        min(field("detectionDistance", Number), 0.0),
        field("timestampIssues", Boolean),
        field("baitUse", Boolean),
        one_of(string("featureType"), FEATURE_TYPES),
        string("habitat"),
        string("deploymentGroups"),
        string("deploymentTags"),
        string("deploymentComments"),
    ],
    primary_key: "deploymentID",
    foreign_keys: &[],
};

/// `media-table-schema.json`, field by field.
pub const MEDIA: TableSchema = TableSchema {
    name: "media",
    fields: &[
        required(unique(string("mediaID"))),
        required(string("deploymentID")),
        one_of(string("captureMethod"), CAPTURE_METHODS),
        required(field("timestamp", Datetime)),
        required(pattern(string("filePath"), FILE_PATH_PATTERN)),
        required(field("filePublic", Boolean)),
        string("fileName"),
        required(pattern(string("fileMediatype"), MEDIATYPE_PATTERN)),
        field("exifData", Any),
        field("favorite", Boolean),
        string("mediaComments"),
    ],
    primary_key: "mediaID",
    foreign_keys: &[ForeignKey {
        field: "deploymentID",
        resource: "deployments",
        reference_field: "deploymentID",
    }],
};

/// `observations-table-schema.json`, field by field.
pub const OBSERVATIONS: TableSchema = TableSchema {
    name: "observations",
    fields: &[
        required(unique(string("observationID"))),
        required(string("deploymentID")),
        string("mediaID"),
        string("eventID"),
        required(field("eventStart", Datetime)),
        required(field("eventEnd", Datetime)),
        required(one_of(string("observationLevel"), OBSERVATION_LEVELS)),
        required(one_of(string("observationType"), OBSERVATION_TYPES)),
        one_of(string("cameraSetupType"), CAMERA_SETUP_TYPES),
        string("scientificName"),
        min(field("count", Integer), 1.0),
        one_of(string("lifeStage"), LIFE_STAGES),
        one_of(string("sex"), SEXES),
        string("behavior"),
        string("individualID"),
        min(field("individualPositionRadius", Number), 0.0),
        range(field("individualPositionAngle", Number), -90.0, 90.0),
        min(field("individualSpeed", Number), 0.0),
        range(field("bboxX", Number), 0.0, 1.0),
        range(field("bboxY", Number), 0.0, 1.0),
        range(field("bboxWidth", Number), 1e-15, 1.0),
        range(field("bboxHeight", Number), 1e-15, 1.0),
        one_of(string("classificationMethod"), CLASSIFICATION_METHODS),
        string("classifiedBy"),
        field("classificationTimestamp", Datetime),
        range(field("classificationProbability", Number), 0.0, 1.0),
        string("observationTags"),
        string("observationComments"),
    ],
    primary_key: "observationID",
    foreign_keys: &[
        ForeignKey {
            field: "deploymentID",
            resource: "deployments",
            reference_field: "deploymentID",
        },
        ForeignKey {
            field: "mediaID",
            resource: "media",
            reference_field: "mediaID",
        },
    ],
};

/// The three tables, in the order they are read (a table's foreign keys point to earlier
/// tables).
pub const TABLES: [&TableSchema; 3] = [&DEPLOYMENTS, &MEDIA, &OBSERVATIONS];

/// The index of `name` in `fields`, at compile time (a typo is a compile error).
pub(crate) const fn col(fields: &[FieldSchema], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        if str_eq(fields[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such Camtrap DP field")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The facts of `camtrap-dp-profile.json` (the package-level rules).
pub mod profile {
    /// Top-level properties the profile requires.
    pub const REQUIRED: &[&str] = &[
        "resources",
        "profile",
        "created",
        "contributors",
        "project",
        "spatial",
        "temporal",
        "taxonomic",
    ];
    /// Names of the Camtrap DP resources (`resources[].name`).
    pub const RESOURCE_NAMES: &[&str] = &["deployments", "media", "observations"];
    /// Properties each Camtrap DP resource requires.
    pub const RESOURCE_REQUIRED: &[&str] = &["name", "path", "profile", "schema"];
    /// `resources[].profile` values.
    pub const RESOURCE_PROFILES: &[&str] = &["tabular-data-resource"];
    /// `resources` needs at least this many items.
    pub const RESOURCES_MIN_ITEMS: usize = 3;
    /// Pattern the `resources[].schema` URL must contain (the version).
    pub const SCHEMA_VERSION_PATTERN: &str = r"1\.0\.2";
    /// `contributors[].role` values.
    pub const CONTRIBUTOR_ROLES: &[&str] = &[
        "contact",
        "principalInvestigator",
        "rightsHolder",
        "publisher",
        "contributor",
    ];
    /// Properties `project` requires.
    pub const PROJECT_REQUIRED: &[&str] = &[
        "title",
        "samplingDesign",
        "captureMethod",
        "individualAnimals",
        "observationLevel",
    ];
    /// `project.samplingDesign` values.
    pub const SAMPLING_DESIGNS: &[&str] = &[
        "simpleRandom",
        "systematicRandom",
        "clusteredRandom",
        "experimental",
        "targeted",
        "opportunistic",
    ];
    /// `project.captureMethod[]` values.
    pub const CAPTURE_METHODS: &[&str] = super::CAPTURE_METHODS;
    /// `project.observationLevel[]` values.
    pub const OBSERVATION_LEVELS: &[&str] = super::OBSERVATION_LEVELS;
    /// Properties `temporal` requires.
    pub const TEMPORAL_REQUIRED: &[&str] = &["start", "end"];
    /// Properties each `taxonomic[]` item requires.
    pub const TAXON_REQUIRED: &[&str] = &["scientificName"];
    /// `taxonomic[].taxonRank` values.
    pub const TAXON_RANKS: &[&str] = &[
        "kingdom",
        "phylum",
        "class",
        "order",
        "family",
        "genus",
        "species",
        "subspecies",
    ];
    /// `taxonomic[].vernacularNames` keys: three lower-case letters (ISO 639-3).
    pub const VERNACULAR_KEY_PATTERN: &str = "^[a-z]{3}$";
    /// `licenses` (when given) needs at least this many items.
    pub const LICENSES_MIN_ITEMS: usize = 2;
    /// `licenses[].scope` values.
    pub const LICENSE_SCOPES: &[&str] = &["data", "media"];
    /// Properties each `relatedIdentifiers[]` item requires.
    pub const RELATED_IDENTIFIER_REQUIRED: &[&str] = &["relationType", "relatedIdentifier", "relatedIdentifierType"];
    /// `relatedIdentifiers[].relationType` values.
    pub const RELATION_TYPES: &[&str] = &[
        "IsCitedBy",
        "Cites",
        "IsSupplementTo",
        "IsSupplementedBy",
        "IsContinuedBy",
        "Continues",
        "IsNewVersionOf",
        "IsPreviousVersionOf",
        "IsPartOf",
        "HasPart",
        "IsPublishedIn",
        "IsReferencedBy",
        "References",
        "IsDocumentedBy",
        "Documents",
        "IsCompiledBy",
        "Compiles",
        "IsVariantFormOf",
        "IsOriginalFormOf",
        "IsIdenticalTo",
        "HasMetadata",
        "IsMetadataFor",
        "Reviews",
        "IsReviewedBy",
        "IsDerivedFrom",
        "IsSourceOf",
        "Describes",
        "IsDescribedBy",
        "HasVersion",
        "IsVersionOf",
        "Requires",
        "IsRequiredBy",
        "Obsoletes",
        "IsObsoletedBy",
    ];
    /// `relatedIdentifiers[].resourceTypeGeneral` values.
    pub const RESOURCE_TYPES_GENERAL: &[&str] = &[
        "Audiovisual",
        "Book",
        "BookChapter",
        "Collection",
        "ComputationalNotebook",
        "ConferencePaper",
        "ConferenceProceeding",
        "DataPaper",
        "Dataset",
        "Dissertation",
        "Event",
        "Image",
        "InteractiveResource",
        "Journal",
        "JournalArticle",
        "Model",
        "OutputManagementPlan",
        "PeerReview",
        "PhysicalObject",
        "Preprint",
        "Report",
        "Service",
        "Software",
        "Sound",
        "Standard",
        "Text",
        "Workflow",
        "Other",
    ];
    /// `relatedIdentifiers[].relatedIdentifierType` values.
    pub const RELATED_IDENTIFIER_TYPES: &[&str] = &[
        "ARK", "arXiv", "bibcode", "DOI", "EAN13", "EISSN", "Handle", "IGSN", "ISBN", "ISSN", "ISTC", "LISSN", "LSID",
        "PMID", "PURL", "UPC", "URL", "URN", "w3id",
    ];
}
