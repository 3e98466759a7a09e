package dev.sluice.terraform.wire;

/**
 * A value not known until apply (Terraform's unknown): in a plan, computed attributes the provider cannot predict, and
 * configuration that refers to them. Never in a state.
 */
public enum Unknown {
    VALUE;

    @Override
    public String toString() {
        return "(known after apply)";
    }
}
