package beam

// CheckBuild exposes checkBuild to the tests.
var CheckBuild = checkBuild
