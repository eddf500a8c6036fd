; Inno Setup 6 script for tvbridge: a per-user install, no administrator rights.
;
; Build (Windows, after `pyinstaller build.spec` has produced dist\tvbridge\ and
; `python installer\make_version_info.py` has written installer\tvbridge.ico):
;   ISCC.exe /DAppVersion=0.1.0 installer\tvbridge.iss      -> dist\installer\tvbridge-setup-0.1.0.exe
;
; What it does:
; - installs into {userpf}\tvbridge (%LOCALAPPDATA%\Programs\tvbridge): PrivilegesRequired=lowest forces the
;   non-administrative mode, where {autopf} means {userpf} and {autoprograms} means {userprograms};
; - a Start Menu entry, and an optional "start at login" task that writes the SAME HKCU Run value the app's
;   own "Start at login" menu item writes (value "tvbridge", data "<app>\tvbridge.exe" --autostart);
; - AppMutex = the app's single-instance mutex (tray/single_instance.py MUTEX_NAME), so Setup and Uninstall
;   see a running tvbridge;
; - before uninstalling (and before upgrading), runs `tvbridge.exe quit`, which asks the running app to stop
;   in order: its agent, its tunnel (and only its own ngrok child, found by the PID it recorded), its
;   listeners. Nothing is killed by image name: `taskkill /IM ngrok.exe` would also kill the user's own ngrok.
; - the user's data (%LOCALAPPDATA%\tvbridge: database, settings, logs) is left in place on uninstall.
;
; This script is compiled and exercised (silent install, files, Run key, silent uninstall) by
; .github/workflows/windows-build.yml on a Windows runner; it cannot be compiled on the Linux CI.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\tvbridge"
#endif
#define AppName "tvbridge"
#define AppExe "tvbridge.exe"
; Must equal tray/single_instance.py MUTEX_NAME
#define AppMutexName "tvbridge-app-mutex"
; Must equal tray/menu.py RUN_KEY / RUN_VALUE
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
#define RunValue "tvbridge"
#define AppIdGuid "{{6F2A9C1E-4B7D-4E8A-9C35-2D1B7E0F5A64}"

[Setup]
AppId={#AppIdGuid}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
AppMutex={#AppMutexName}
; the app is stopped by `tvbridge.exe quit` below; Restart Manager would only close it without order
CloseApplications=no
OutputDir=..\dist\installer
OutputBaseFilename=tvbridge-setup-{#AppVersion}
SetupIconFile=tvbridge.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
SetupLogging=yes

[Tasks]
Name: "startatlogin"; Description: "Start tvbridge when I log in to Windows"; GroupDescription: "Start-up:"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "TradingView alerts to MetaTrader 5"
Name: "{autoprograms}\{#AppName} log folder"; Filename: "{localappdata}\{#AppName}\Logs"; Flags: foldershortcut

[Registry]
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RunValue}"; \
  ValueData: """{app}\{#AppExe}"" --autostart"; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start tvbridge now"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; __pycache__ and similar files the app may create next to itself; user data lives elsewhere
Type: filesandordirs; Name: "{app}"

[Code]
const
  QuitTimeoutSeconds = 30;

{ Ask a running tvbridge to stop in order (agent, tunnel with its own ngrok child, listeners) and wait. }
procedure StopRunningApp(Exe: String);
var
  ResultCode: Integer;
begin
  if not CheckForMutexes('{#AppMutexName}') then
    Exit;
  if not FileExists(Exe) then
  begin
    Log('tvbridge is running but ' + Exe + ' is missing; Setup will ask the user to close it');
    Exit;
  end;
  Log('Asking the running tvbridge to quit: ' + Exe + ' quit');
  if Exec(Exe, 'quit --wait ' + IntToStr(QuitTimeoutSeconds), '', SW_HIDE, ewWaitUntilTerminated, ResultCode) then
    Log('tvbridge quit exited with code ' + IntToStr(ResultCode))
  else
    Log('Could not run tvbridge quit: ' + SysErrorMessage(ResultCode));
end;

function PreviousInstallExe(): String;
var
  Location: String;
begin
  Result := '';
  if RegQueryStringValue(HKCU, 'Software\Microsoft\Windows\CurrentVersion\Uninstall\{#AppIdGuid}_is1',
     'InstallLocation', Location) then
    Result := AddBackslash(Location) + '{#AppExe}';
end;

{ Upgrade over a running app: stop it first, so AppMutex finds nothing running. }
function InitializeSetup(): Boolean;
var
  Exe: String;
begin
  Exe := PreviousInstallExe();
  if Exe <> '' then
    StopRunningApp(Exe);
  Result := True;
end;

{ Uninstall: runs before Inno checks AppMutex, so a running app is stopped in order, not killed. }
function InitializeUninstall(): Boolean;
begin
  StopRunningApp(ExpandConstant('{app}\{#AppExe}'));
  Result := True;
end;

{ The app's own "Start at login" item may have written the Run value without the installer task;
  remove it too, but only when it starts this installation's exe. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Value: String;
begin
  if CurUninstallStep = usPostUninstall then
    if RegQueryStringValue(HKCU, '{#RunKey}', '{#RunValue}', Value) then
      if Pos(Lowercase(ExpandConstant('{app}\{#AppExe}')), Lowercase(Value)) > 0 then
        RegDeleteValue(HKCU, '{#RunKey}', '{#RunValue}');
end;
