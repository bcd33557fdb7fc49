output "state_bucket" {
  description = "Put this in each root's backend.hcl."
  value       = aws_s3_bucket.state.id
}
