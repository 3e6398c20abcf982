// The one head type every head source of synth produces (the ICT Face Model, the built-in
// procedural head, rigged models read through Assimp), and the operations the scene code needs on
// it: posing about the neck, landmark positions, the renderable subset.
//
// The head frame (docs/conventions.md): origin = midpoint of the two eyeball centres; for a frontal
// upright head its axes coincide with the OpenCV camera's: x towards image right = the subject's
// LEFT, y down (towards the chin), z away from the camera into the head; the face looks along -z.
// Metres. Every HeadInstance is built in this frame at its neutral (unposed) configuration.
//
// Posing (thesis ch2 digest §3-C4, C8): the head is rotated about a neck pivot, as the thesis
// rotates its neck bone; the rotation moves the eye midpoint, and the label is always the actual
// eye-midpoint frame after the rotation (`PosedHead::model_from_head`), never the commanded angles.
// The "model" frame is the neutral head frame, fixed to the torso / neck base.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/geometry/rigid.h"
#include "core/io/mesh.h"

namespace synface::synth::heads {

// What a mesh part is, for the part mask (values are the mask labels; 0 is the background).
enum class PartClass : std::uint8_t {
  kSkin = 1,
  kEyes = 2,        // sclera, iris, cornea
  kTeethMouth = 3,  // teeth, gums, tongue, mouth interior
  kHairOther = 4,   // scalp hair, eyebrows (procedural), eyelashes, anything else visible
  kHidden = 5,      // helper geometry that is never rendered (ICT eye occlusion, lacrimal fluid...)
};
inline constexpr int kMaskBackground = 0;
const char* PartClassName(PartClass c);  // "skin", "eyes", "teeth_mouth", "hair_other", "hidden"

// The tissue of a part: selects its colour and material within the appearance.
enum class Tissue : std::uint8_t {
  kSkin,
  kSclera,
  kIris,  // iris + pupil, painted from the eye centre outwards
  kEye,   // a whole eyeball in one part (rigged models): iris painted by angle from the gaze axis
  kTeeth,
  kGums,  // gums and tongue
  kMouthInterior,
  kEyelashes,
  kEyebrows,
  kHair,
  kHelper,  // hidden helper geometry
};
const char* TissueName(Tissue t);

// Per-part surface parameters for the renderer (a diffuse + GGX-specular model): `roughness` is
// the GGX alpha's square root (perceptual roughness), `specular` the Fresnel reflectance at
// normal incidence (skin ~0.028 from its refractive index 1.4).
struct SurfaceMaterial {
  float roughness = 0.5f;
  float specular = 0.028f;
};

// Soft per-vertex skin regions in [0, 1] for painting (lip tint, eyebrows painted on skin, cheek
// redness). Empty vectors = region unknown (e.g. rigged models without landmarks).
struct FaceRegions {
  std::vector<float> lips;
  std::vector<float> brows;
  std::vector<float> cheeks;
};

// Skinning data of a rigged head (in the head frame): posing rotates `neck_node` and re-skins.
struct HeadRig {
  core::io::Mesh skin;  // bind positions (expression morphs applied), bones, nodes; no triangles
  int neck_node = -1;   // index into skin.nodes
  int head_node = -1;   // the node whose motion carries the eyes (the label frame's rotation)
  // How the eye centres are found again after posing: eye nodes (their origins) or eye vertices
  // (sphere fit).
  int left_eye_node = -1, right_eye_node = -1;
  std::vector<int> left_eye_vertices, right_eye_vertices;
};

using ExpressionWeights = std::map<std::string, float>;

struct HeadInstance {
  std::string source;                          // "ict", "procedural", "rigged:<file>"
  core::io::Mesh mesh;                         // head frame, metres, CCW outward, vertex normals
  std::vector<PartClass> part_class;           // one per mesh.parts
  std::vector<Tissue> part_tissue;             // one per mesh.parts
  std::vector<SurfaceMaterial> part_material;  // one per mesh.parts (ApplyAppearance sets them)
  std::vector<Eigen::Vector3f> vertex_albedo;  // linear RGB per vertex (ApplyAppearance)
  FaceRegions regions;

  // The 68 Multi-PIE landmarks (0-based iBUG order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
  // mouth 48-67; "right" = the subject's right = image left) as vertex indices; -1 = unknown.
  std::array<int, 68> landmark_vertices;
  std::vector<int> dense_vertices;  // the dense landmark subset (vertex indices)

  Eigen::Vector3f left_eye_centre = Eigen::Vector3f::Zero();   // subject's left: +x
  Eigen::Vector3f right_eye_centre = Eigen::Vector3f::Zero();  // subject's right: -x
  // Gaze directions (unit, head frame; straight ahead = -z) and the radius of the visible iris
  // disc about them: where the appearance paints iris and pupil on eye parts.
  Eigen::Vector3f left_gaze = -Eigen::Vector3f::UnitZ();
  Eigen::Vector3f right_gaze = -Eigen::Vector3f::UnitZ();
  float iris_radius = 0.0058f;

  // Identity: coefficients with their names (ICT: "identity000"..., N(0,1) units; procedural:
  // z-scores of named shape parameters). Expression: named weights (ICT blendshapes, procedural
  // controls, rigged morph targets) and the preset it came from ("neutral", ..., "random").
  std::vector<std::string> identity_names;
  std::vector<float> identity_coefficients;
  ExpressionWeights expression_weights;
  std::string expression_label = "neutral";

  // Posing: rotations are applied about `neck_pivot` (head frame). Without a rig, vertex v follows
  // the rotation with weight neck_weight[v] (1 = rigidly with the head; 0 = stays with the torso;
  // in between the rotation angle is scaled), which bends the neck instead of swinging its cut end.
  Eigen::Vector3f neck_pivot = Eigen::Vector3f::Zero();
  std::vector<float> neck_weight;
  std::shared_ptr<const HeadRig> rig;  // rigged models: posing goes through the neck bone

  HeadInstance() { landmark_vertices.fill(-1); }
  bool HasLandmarks() const { return landmark_vertices[0] >= 0; }
  Eigen::Vector3f EyeMidpoint() const { return 0.5f * (left_eye_centre + right_eye_centre); }
};

// A head after rotation about its neck, in the model frame (= the neutral head frame).
struct PosedHead {
  std::vector<Eigen::Vector3f> positions;
  std::vector<Eigen::Vector3f> normals;
  // The actual head (eye-midpoint) frame after posing: p_model = model_from_head * p_head. For
  // the scene: cam_from_head = cam_from_model * model_from_head is the label.
  core::geometry::Rigid3d model_from_head;
};

// Rotates the head by `rotation` (axes of the model frame) about its neck pivot: through the neck
// bone and linear blend skinning for rigged heads, else by the neck weights. The identity gives
// back the neutral mesh and model_from_head = identity.
PosedHead PoseAboutNeck(const HeadInstance& head, const Eigen::Matrix3d& rotation);

// Positions of the 68 landmarks (throws when the head has none) / of the dense subset, taken from
// `positions` (e.g. PosedHead::positions, or head.mesh.positions).
std::vector<Eigen::Vector3f> LandmarkPositions(const HeadInstance& head,
                                               const std::vector<Eigen::Vector3f>& positions);
std::vector<Eigen::Vector3f> DensePositions(const HeadInstance& head,
                                            const std::vector<Eigen::Vector3f>& positions);

// The mesh the renderer should see: all vertices (numbering kept, so landmark indices stay valid)
// and only the triangles of parts that are not hidden; parts are renumbered and `part_class` /
// `part_tissue` / `part_material` of the result are returned alongside.
struct RenderableHead {
  core::io::Mesh mesh;
  std::vector<PartClass> part_class;
  std::vector<Tissue> part_tissue;
  std::vector<SurfaceMaterial> part_material;
};
RenderableHead WithoutHiddenParts(const HeadInstance& head);

// Checks array sizes and indices of a head; throws core::Error naming `head.source`.
void ValidateHead(const HeadInstance& head);

// ---------------------------------------------------------------------------------------------
// Building blocks shared by the head sources.

// The thesis's five expressions (ch2 digest §2.1).
enum class Expression { kNeutral, kAngry, kHappy, kSad, kScared };
inline constexpr std::array<Expression, 5> kAllExpressions = {
    Expression::kNeutral, Expression::kAngry, Expression::kHappy, Expression::kSad,
    Expression::kScared};
const char* ExpressionName(Expression e);  // "neutral", "angry", "happy", "sad", "scared"
// Throws core::Error listing the valid names.
Expression ExpressionFromName(const std::string& name);

// Least-squares sphere through points (algebraic fit, solved in double). Needs >= 4 points not on
// one plane; throws core::Error otherwise.
struct Sphere {
  Eigen::Vector3f centre = Eigen::Vector3f::Zero();
  float radius = 0.0f;
};
Sphere FitSphere(const std::vector<Eigen::Vector3f>& points);

// head_from_source for eye centres given in a source frame: origin at their midpoint; x along
// left - right; y along -up, orthogonalised against x; z = x cross y (the face then looks along
// -z when `up` is the head's up and the eyes are the subject's left and right).
core::geometry::Rigid3d HeadFrameFromEyes(const Eigen::Vector3d& left_eye,
                                          const Eigen::Vector3d& right_eye,
                                          const Eigen::Vector3d& up);

// Default neck pivot in the head frame: 6 cm below and 7.5 cm behind the eye midpoint, between
// the skull base (atlanto-occipital joint) and the atlanto-axial joint, where flexion and
// rotation of the head happen.
inline const Eigen::Vector3f kDefaultNeckPivot(0.0f, 0.06f, 0.075f);

// Neck weights for rigless heads (head frame positions): 1 above the jaw-neck boundary (the union
// of a plane through the pivot that passes ~2.5 cm below the chin and the horizontal plane 1 cm
// below the pivot), falling smoothly to 0 over `band` metres below it, and 0 farther than 10-16 cm
// sideways from the pivot (shoulders and arms of full-body models).
std::vector<float> NeckWeights(const std::vector<Eigen::Vector3f>& positions,
                               const Eigen::Vector3f& pivot, float band = 0.04f);

// Skin regions painted from landmark positions (head frame, frontal projection onto x-y):
// lips = inside the outer-lip polygon 48-59, brows = a band along 17-21 / 22-26 tapering
// laterally, cheeks = a Gaussian on each cheek between the nose wing and the jaw. Only vertices
// with candidate[v] != 0 whose normal does not face away from the camera (n_z < 0.35) get
// non-zero weights.
FaceRegions PaintFaceRegions(const std::vector<Eigen::Vector3f>& positions,
                             const std::vector<Eigen::Vector3f>& normals,
                             const std::vector<Eigen::Vector3f>& landmarks,
                             const std::vector<std::uint8_t>& candidate);

// Farthest-point sampling of `count` vertices among `candidates` (Euclidean), starting from
// `first` (which must be a candidate): a spatially even dense-landmark subset. Deterministic.
std::vector<int> FarthestPointSubset(const std::vector<Eigen::Vector3f>& positions,
                                     const std::vector<int>& candidates, int count, int first);

// Normals of `positions` for the head's triangles (hidden parts excluded, so helper meshes do
// not bend the normals of the skin they touch).
std::vector<Eigen::Vector3f> HeadVertexNormals(const HeadInstance& head,
                                               const std::vector<Eigen::Vector3f>& positions);

}  // namespace synface::synth::heads
