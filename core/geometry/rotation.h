// Angles and rotation matrices shared by every geometry unit: degree/radian helpers, angle
// wrapping, the three elementary right-handed rotations, the geodesic distance between rotations
// and projection of a nearly-orthonormal matrix (e.g. a 6-digit BIWI matrix) onto SO(3).
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>

namespace synface::core::geometry {

inline constexpr double kPi = 3.14159265358979323846;

constexpr double DegToRad(double degrees) { return degrees * (kPi / 180.0); }
constexpr double RadToDeg(double radians) { return radians * (180.0 / kPi); }

// Wraps an angle into (-pi, pi]. Deterministic at the boundary: both -pi and pi give pi.
double WrapAngle(double radians);

// Signed smallest difference a - b, wrapped into (-pi, pi].
double AngleDifference(double a, double b);

// Elementary right-handed rotations (counter-clockwise about the axis when it points at the
// viewer): RotationX(a) = [[1,0,0],[0,c,-s],[0,s,c]], RotationY(a) = [[c,0,s],[0,1,0],[-s,0,c]],
// RotationZ(a) = [[c,-s,0],[s,c,0],[0,0,1]].
Eigen::Matrix3d RotationX(double radians);
Eigen::Matrix3d RotationY(double radians);
Eigen::Matrix3d RotationZ(double radians);

// Angle in [0, pi] of the rotation a^T b (the geodesic distance on SO(3)). Uses the quaternion of
// a^T b and atan2, which stays accurate near 0 and near pi where acos((trace - 1) / 2) does not.
double GeodesicAngle(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b);
double GeodesicAngle(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b);

// True when |R^T R - I| and |det R - 1| are within `tolerance` (max-abs norm).
bool IsRotationMatrix(const Eigen::Matrix3d& r, double tolerance = 1e-9);

// Closest rotation in the Frobenius norm (SVD; U diag(1,1,det(U V^T)) V^T). Use it on matrices read
// from text files with few digits before turning them into quaternions.
Eigen::Matrix3d NearestRotation(const Eigen::Matrix3d& m);

}  // namespace synface::core::geometry
