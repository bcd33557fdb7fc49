output "buckets" {
  description = "Data, artifacts and logs buckets."
  value       = module.spindle.buckets
}

output "artifact_uris" {
  description = "Where spindle stage must upload the binary, boot program, job server jar, spec and certificates."
  value       = module.spindle.artifact_uris
}

output "cluster_id" {
  description = "The EMR cluster (once create_cluster is true)."
  value       = module.spindle.cluster_id
}

output "run_output_uri" {
  description = "Where the run writes metrics.json, models/ and run.log."
  value       = module.spindle.run_output_uri
}
