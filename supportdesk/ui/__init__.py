"""What the HTML interfaces (portal and workspace) share: the registration fields, the action
form base and the small helper that runs an action behind a form. The API shares nothing with
them but the domain it calls."""
