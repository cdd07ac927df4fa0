"""VTK side: one canvas (a pyvista plotter) and one visual class per layer kind."""
