"""Reports on a catalogue and a configuration: status per stage, the models in use."""
