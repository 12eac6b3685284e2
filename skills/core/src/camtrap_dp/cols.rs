//! Column indices of the three tables, resolved at compile time from the schema (a
//! misspelt name does not compile).

/// Column indices of the deployments table.
pub(crate) mod dep {
    use super::super::schema::{DEPLOYMENTS, FieldSchema, col};
    const F: &[FieldSchema] = DEPLOYMENTS.fields;
    pub const ID: usize = col(F, "deploymentID");
    pub const LOCATION_ID: usize = col(F, "locationID");
    pub const LOCATION_NAME: usize = col(F, "locationName");
    pub const LATITUDE: usize = col(F, "latitude");
    pub const LONGITUDE: usize = col(F, "longitude");
    pub const START: usize = col(F, "deploymentStart");
    pub const END: usize = col(F, "deploymentEnd");
    pub const SETUP_BY: usize = col(F, "setupBy");
    pub const CAMERA_ID: usize = col(F, "cameraID");
    pub const CAMERA_MODEL: usize = col(F, "cameraModel");
    pub const CAMERA_HEIGHT: usize = col(F, "cameraHeight");
    pub const CAMERA_TILT: usize = col(F, "cameraTilt");
    pub const CAMERA_HEADING: usize = col(F, "cameraHeading");
    pub const DETECTION_DISTANCE: usize = col(F, "detectionDistance");
    pub const TIMESTAMP_ISSUES: usize = col(F, "timestampIssues");
    pub const BAIT_USE: usize = col(F, "baitUse");
    pub const FEATURE_TYPE: usize = col(F, "featureType");
    pub const HABITAT: usize = col(F, "habitat");
    pub const TAGS: usize = col(F, "deploymentTags");
    pub const COMMENTS: usize = col(F, "deploymentComments");
    /// Columns with no place in our model.
    pub const DROPPED: &[&str] = &[
        "coordinateUncertainty",
        "cameraDelay",
        "cameraDepth",
        "deploymentGroups",
    ];
}

/// Column indices of the media table.
pub(crate) mod med {
    use super::super::schema::{FieldSchema, MEDIA, col};
    const F: &[FieldSchema] = MEDIA.fields;
    pub const ID: usize = col(F, "mediaID");
    pub const DEPLOYMENT_ID: usize = col(F, "deploymentID");
    pub const CAPTURE_METHOD: usize = col(F, "captureMethod");
    pub const TIMESTAMP: usize = col(F, "timestamp");
    pub const FILE_PATH: usize = col(F, "filePath");
    pub const FILE_PUBLIC: usize = col(F, "filePublic");
    pub const FILE_NAME: usize = col(F, "fileName");
    pub const MEDIATYPE: usize = col(F, "fileMediatype");
    pub const FAVORITE: usize = col(F, "favorite");
    pub const COMMENTS: usize = col(F, "mediaComments");
    /// Columns with no place in our model.
    pub const DROPPED: &[&str] = &["exifData"];
}

/// Column indices of the observations table.
pub(crate) mod obs {
    use super::super::schema::{FieldSchema, OBSERVATIONS, col};
    const F: &[FieldSchema] = OBSERVATIONS.fields;
    pub const ID: usize = col(F, "observationID");
    pub const DEPLOYMENT_ID: usize = col(F, "deploymentID");
    pub const MEDIA_ID: usize = col(F, "mediaID");
    pub const EVENT_ID: usize = col(F, "eventID");
    pub const START: usize = col(F, "eventStart");
    pub const END: usize = col(F, "eventEnd");
    pub const LEVEL: usize = col(F, "observationLevel");
    pub const TYPE: usize = col(F, "observationType");
    pub const SCIENTIFIC_NAME: usize = col(F, "scientificName");
    pub const COUNT: usize = col(F, "count");
    pub const LIFE_STAGE: usize = col(F, "lifeStage");
    pub const SEX: usize = col(F, "sex");
    pub const BEHAVIOR: usize = col(F, "behavior");
    pub const INDIVIDUAL_ID: usize = col(F, "individualID");
    pub const BBOX_X: usize = col(F, "bboxX");
    pub const BBOX_Y: usize = col(F, "bboxY");
    pub const BBOX_WIDTH: usize = col(F, "bboxWidth");
    pub const BBOX_HEIGHT: usize = col(F, "bboxHeight");
    pub const METHOD: usize = col(F, "classificationMethod");
    pub const CLASSIFIED_BY: usize = col(F, "classifiedBy");
    pub const PROBABILITY: usize = col(F, "classificationProbability");
    pub const TAGS: usize = col(F, "observationTags");
    pub const COMMENTS: usize = col(F, "observationComments");
    /// Columns with no place in our model.
    pub const DROPPED: &[&str] = &[
        "cameraSetupType",
        "individualPositionRadius",
        "individualPositionAngle",
        "individualSpeed",
        "classificationTimestamp",
    ];
}
